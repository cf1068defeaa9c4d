// A dataset's keys on the server: which of a batch's keys the table holds, and their
// checksum, computed by MySQL so a batch is verified without pulling its rows back.
// The server renders each key as pipewarden's canonical key text (rules.keyOfValues: the
// key columns' TSV text joined by a tab), so SUM(CRC32(…)) equals the TS side's
// keyChecksum. MySQL's text of each key type is the written value: DATE 'YYYY-MM-DD',
// DATETIME (no fraction) 'YYYY-MM-DD HH:MM:SS', TIME 'HH:MM:SS', DECIMAL(p,s) with exactly s
// fraction digits, TINYINT(1) '0'/'1', integers in canonical decimal; text keys compare
// byte for byte (utf8mb4_bin) and get the TSV's escapes (\\ \t \n \r \0) applied here, as
// the key text has them. dataset-keys.itest.ts holds both sides to each other, type by type.
import mysql from 'mysql2';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { ResolvedSpec } from '../dataset/types';
import type { KeyChecksum } from '../batch';
import { decodeTsvLine, type Value } from '../record/tsv';
import { ident, isText } from './schema';

type Queryable = Pick<Pool | PoolConnection, 'query'>;

const KEY_CHUNK = 1000;
/**
 * The TSV's escapes, in SQL, on bytes (binary strings: the key column's collation must not
 * mix with the literals', and bytes are what CRC32 sums): the backslash first, so the
 * others' backslashes stay single.
 */
const TSV_ESCAPES: [string, string][] = [
  ["X'5C'", "X'5C5C'"],
  ["X'09'", "X'5C74'"],
  ["X'0A'", "X'5C6E'"],
  ["X'0D'", "X'5C72'"],
  ["X'00'", "X'5C30'"],
];

/** SQL rendering a row's key text (composite: CONCAT_WS(CHAR(9), …)). */
function keyTextSql(spec: ResolvedSpec): string {
  if (spec.key.length === 0) throw new Error(`dataset ${spec.name} has no key`);
  const parts = spec.key.map((k) => {
    const c = spec.columns.find((x) => x.name === k)!;
    const col = ident(k);
    if (!isText(c)) return col;
    return TSV_ESCAPES.reduce((e, [from, to]) => `REPLACE(${e}, ${from}, ${to})`, `CAST(${col} AS BINARY)`);
  });
  return parts.length === 1 ? parts[0] : `CONCAT_WS(X'09', ${parts.join(', ')})`;
}

/** One key's values as statement parameters (numbers as bare SQL literals). */
export type KeyTuple = unknown[];

const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * A numeric key value as a bare SQL number. Quoted, MySQL compares an integer or DECIMAL
 * column with it as doubles ("in all other cases, compared as floating-point numbers"), so
 * 9007199254740992 would find 9007199254740993. The text is the rules' canonical number,
 * checked again here because it goes into the statement unquoted.
 */
function sqlNumber(v: Value): unknown {
  if (v === null || !NUMBER_TEXT.test(String(v))) throw new Error(`not a canonical number for a key lookup: ${JSON.stringify(v)}`);
  return mysql.raw(String(v));
}

/** Per key column, whether its values go into lookups as bare numbers (sqlNumber). */
function numericKeyColumns(spec: ResolvedSpec): boolean[] {
  return spec.key.map((k) => {
    const t = spec.columns.find((c) => c.name === k)!.type;
    return t === 'integer' || t === 'decimal';
  });
}

/** The key columns' values of each TSV line (decoded), for `(k1, k2) IN ((?, ?), …)`. */
export function keyTuples(spec: ResolvedSpec, lines: readonly string[]): KeyTuple[] {
  const cols = spec.key.map((k) => spec.columns.findIndex((c) => c.name === k));
  const numeric = numericKeyColumns(spec);
  return lines.map((l) => {
    const v = decodeTsvLine(l);
    return cols.map((i, j) => (numeric[j] ? sqlNumber(v[i]) : v[i]));
  });
}

/**
 * The same from key texts (rules.keyOf*: the key columns' TSV fields joined by a tab), without
 * decoding the rest of each line.
 */
export function keyTuplesOfTexts(spec: ResolvedSpec, texts: Iterable<string>): KeyTuple[] {
  const numeric = numericKeyColumns(spec);
  const out: KeyTuple[] = [];
  for (const t of texts) out.push(decodeTsvLine(t).map((v, j) => (numeric[j] ? sqlNumber(v) : v)));
  return out;
}

/** `k IN (?)` or `(k1, k2) IN (?)`, with its parameter (tuples from keyTuples: numbers unquoted). */
function keyIn(spec: ResolvedSpec, tuples: readonly KeyTuple[]): [string, unknown[]] {
  if (spec.key.length === 1) return [`${ident(spec.key[0])} IN (?)`, [tuples.map((t) => t[0])]];
  return [`(${spec.key.map(ident).join(', ')}) IN (?)`, [tuples]];
}

/**
 * The key texts (of these keys) the table holds, looked up in chunks; `forUpdate` inside a
 * transaction locks the rows found until it ends.
 */
export async function keysPresent(conn: Queryable, spec: ResolvedSpec, tuples: readonly KeyTuple[], opts: { forUpdate?: boolean } = {}): Promise<Set<string>> {
  const found = new Set<string>();
  const lock = opts.forUpdate ? ' FOR UPDATE' : '';
  for (let i = 0; i < tuples.length; i += KEY_CHUNK) {
    const [where, params] = keyIn(spec, tuples.slice(i, i + KEY_CHUNK));
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${keyTextSql(spec)} AS k FROM ${ident(spec.table)} WHERE ${where}${lock}`, params);
    for (const r of rows) found.add(String(r.k));
  }
  return found;
}

/** Count and CRC32 sum of the keys (of these) the table holds, computed server-side. */
export async function serverKeyChecksum(conn: Queryable, spec: ResolvedSpec, tuples: readonly KeyTuple[]): Promise<KeyChecksum> {
  let count = 0;
  let crcSum = 0;
  for (let i = 0; i < tuples.length; i += KEY_CHUNK) {
    const [where, params] = keyIn(spec, tuples.slice(i, i + KEY_CHUNK));
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n, COALESCE(SUM(CRC32(${keyTextSql(spec)})), 0) AS s FROM ${ident(spec.table)} WHERE ${where}`, params);
    count += Number(rows[0].n);
    crcSum += Number(rows[0].s);
  }
  return { count, crcSum };
}
