// Synthetic CSV for any dataset spec, deterministic by seed, fast enough for 10M rows in
// minutes (one string per row). The spec, read at run time, decides everything a value must
// satisfy (generate-columns.ts makes values from its bounds, formats, windows and lengths);
// a dataset may add a realism profile (generate-nyc.ts: the NYC export's value
// distributions and oddities). The rows mix, by share: rows that cannot be kept (each with
// one known reject reason), repeated keys, empty optional cells and invalid optional cells
// (loaded as NULL and counted as oddities), so a load of the file has known totals.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { DEFAULT_DATASET, UserError, readSpec, rulesFor, type RejectReason, type ResolvedSpec } from '@pipewarden/core';
import { columnMaker, type ColumnMaker } from './generate-columns';
import { NYC_PROFILE, type Profile } from './generate-nyc';
import { keySequence, type KeyOrder } from './key-order';
import { prng } from './prng';

export { prng };

/** Realism profiles by dataset name (used unless `profile: false`). */
const PROFILES: Record<string, Profile> = { 'nyc-parking-violations': NYC_PROFILE };

export interface GenerateOptions {
  rows: number;
  seed?: number;
  /** The dataset to write (default: the built-in NYC parking violations spec). */
  spec?: ResolvedSpec;
  /** Use the dataset's realism profile when it has one (default true; NYC has one). */
  profile?: boolean;
  /** Share of rows that cannot be kept (a missing or invalid key or required value, a wrong field count, a stray quote). */
  badShare?: number;
  /** Share of rows repeating an earlier row's key (all key columns; keyed datasets only). */
  duplicateShare?: number;
  /** Share of optional cells holding a value invalid for their column (loaded NULL, counted as oddities). Default 0.005, or 0 with a profile (it carries the real data's oddities). */
  oddShare?: number;
  /** Share of optional cells left empty. Default 0.05, or 0 with a profile (it has its own empty cells). */
  emptyShare?: number;
  /**
   * A single integer key: its first value (default BASE_KEY when the column's bounds allow,
   * else its min). Other keys: the first key index. Files with disjoint ranges share no key.
   */
  keyBase?: number;
  /** Add the spec's knownExtras as empty columns (NYC: the Kaggle export's 8 geographic columns). */
  kaggle?: boolean;
  crlf?: boolean;
  /** The order of the distinct keys (key-order.ts): like the real NYC export (default), or shuffled. */
  keyOrder?: KeyOrder;
}

export interface GenerateStats {
  rows: number;
  /** Rows that cannot be kept (sum of `rejects`). */
  bad: number;
  /** Rows written with an earlier row's key. */
  duplicates: number;
  bytes: number;
  /** The bad rows by the reason a load rejects them with. */
  rejects: Partial<Record<RejectReason, number>>;
  /** Invalid optional cells written in rows that are kept (a profile's own oddities not included), in total and by column. */
  oddities: number;
  odditiesByColumn: Record<string, number>;
}

export const BASE_KEY = 1_000_000_000;

/** The key columns' values of the j-th distinct key. */
function keyPlan(spec: ResolvedSpec, makers: ColumnMaker[], rows: number, keyBase: number | undefined): (j: number) => string[] {
  const keyCols = rulesFor(spec).keyIndexes;
  if (keyCols.length === 0) return () => [];
  const span = BigInt(rows);
  const only = spec.columns[keyCols[0]];
  if (keyCols.length === 1 && only.type === 'integer') {
    const min = BigInt(only.min), max = BigInt(only.max);
    const base = keyBase !== undefined ? BigInt(keyBase) : BigInt(BASE_KEY) >= min && BigInt(BASE_KEY) + span - 1n <= max ? BigInt(BASE_KEY) : min;
    if (base < min || base + span - 1n > max) throw new UserError(`${rows} keys from ${base} do not fit the bounds of key column "${only.name}" (${only.min}..${only.max})`);
    return (j) => [(base + BigInt(j)).toString()];
  }
  const offset = BigInt(keyBase ?? 0);
  const caps = keyCols.map((ci) => makers[ci].capacity);
  const room = caps.reduce((a, b) => a * b, 1n);
  if (room < offset + span) throw new UserError(`the key (${spec.key.join(', ')}) can take ${room} distinct values within the spec's bounds; ${rows} rows need ${offset + span}`);
  return (j) => {
    let x = offset + BigInt(j);
    const out = new Array<string>(keyCols.length);
    for (let k = keyCols.length - 1; k > 0; k--) {
      out[k] = makers[keyCols[k]].keyValue(x % caps[k]);
      x /= caps[k];
    }
    out[0] = makers[keyCols[0]].keyValue(x);
    return out;
  };
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

type BadKind = 'missing_key' | 'invalid_key' | 'missing_value' | 'invalid_value' | 'column_count' | 'csv_error';

export async function generate(out: string, opts: GenerateOptions, onProgress?: (rows: number) => void): Promise<GenerateStats> {
  const spec = opts.spec ?? readSpec(DEFAULT_DATASET);
  const profile = opts.profile === false ? undefined : PROFILES[spec.name];
  const rnd = prng(opts.seed ?? 1);
  const badShare = opts.badShare ?? 0.01;
  const dupShare = spec.key.length ? (opts.duplicateShare ?? 0.001) : 0;
  const oddShare = opts.oddShare ?? (profile ? 0 : 0.005);
  const emptyShare = opts.emptyShare ?? (profile ? 0 : 0.05);
  const eol = opts.crlf ? '\r\n' : '\n';
  const extras = opts.kaggle ? spec.knownExtras : [];
  const extra = ','.repeat(extras.length);
  const makers = spec.columns.map(columnMaker);
  const keyOf = keyPlan(spec, makers, opts.rows, opts.keyBase);
  // Its own random stream: the order does not shift the draws of values, bad rows and duplicates.
  const keyIndexOf = keySequence(opts.keyOrder ?? 'source-like', opts.rows, ((opts.seed ?? 1) ^ 0x6b657973) >>> 0);
  const keyCols = rulesFor(spec).keyIndexes;
  const isKey = spec.columns.map((c) => c.key);
  const required = spec.columns.map((c, i) => i).filter((i) => spec.columns[i].required && !isKey[i]);
  const optional = spec.columns.map((c, i) => i).filter((i) => !spec.columns[i].required);
  // A column's NULL spellings stand in for half of its empty cells (and of its missing
  // keys / values): a load reads them exactly as empty, so the totals do not change.
  // Columns without spellings draw nothing more (a spec's output stays what it was).
  const nullsOf = spec.columns.map((c) => c.nullValues ?? []);
  const emptyCell = (ci: number): string => {
    const spellings = nullsOf[ci];
    return spellings.length > 0 && rnd() < 0.5 ? spellings[Math.floor(rnd() * spellings.length)] : '';
  };
  const kinds: BadKind[] = [
    ...(keyCols.length ? (['missing_key', 'invalid_key'] as const) : []),
    ...(required.length ? (['missing_value', 'invalid_value'] as const) : []),
    'column_count',
    'csv_error',
  ];
  // The stray quote goes in a middle column (as in the first NYC generator: Days Parking In Effect).
  const quoteAt = spec.columns.length > 30 ? 30 : Math.floor(spec.columns.length / 2);
  const header = spec.columns.map((c) => csvField(profile?.header ? profile.header(c.name, c.header) : c.header)).join(',') + (extras.length ? ',' + extras.map(csvField).join(',') : '');

  const ws = createWriteStream(out, { highWaterMark: 4 << 20 });
  let buf = header + eol;
  const stats: GenerateStats = { rows: opts.rows, bad: 0, duplicates: 0, bytes: 0, rejects: {}, oddities: 0, odditiesByColumn: {} };
  const cells = new Array<string>(spec.columns.length);
  for (let i = 0; i < opts.rows; i++) {
    let keyIndex = keyIndexOf(i);
    if (i > 10 && rnd() < dupShare) {
      keyIndex = keyIndexOf(Math.floor(rnd() * i));
      stats.duplicates++;
    }
    const key = keyOf(keyIndex);
    keyCols.forEach((ci, k) => (cells[ci] = key[k]));
    const real = profile?.row(rnd);
    for (let ci = 0; ci < cells.length; ci++) {
      if (isKey[ci]) continue;
      const v = real?.[spec.columns[ci].name];
      if (v !== undefined) cells[ci] = v;
      else cells[ci] = !spec.columns[ci].required && emptyShare > 0 && rnd() < emptyShare ? emptyCell(ci) : makers[ci].valid(rnd);
    }
    let kind: BadKind | undefined;
    if (badShare > 0 && rnd() < badShare) {
      kind = kinds[Math.floor(rnd() * kinds.length)];
      const pickOf = (list: readonly number[]) => list[Math.floor(rnd() * list.length)];
      if (kind === 'invalid_key' || kind === 'invalid_value') {
        const ci = pickOf(kind === 'invalid_key' ? keyCols : required);
        const bad = makers[ci].invalid(rnd);
        if (bad === null) kind = kind === 'invalid_key' ? 'missing_key' : 'missing_value';
        cells[ci] = bad ?? emptyCell(ci);
      } else if (kind === 'missing_key' || kind === 'missing_value') {
        const ci = pickOf(kind === 'missing_key' ? keyCols : required);
        cells[ci] = emptyCell(ci);
      }
      stats.rejects[kind] = (stats.rejects[kind] ?? 0) + 1;
      stats.bad++;
    } else if (oddShare > 0) {
      for (const ci of optional) {
        if (rnd() >= oddShare) continue;
        const bad = makers[ci].invalid(rnd);
        if (bad === null) continue;
        cells[ci] = bad;
        stats.oddities++;
        const name = spec.columns[ci].name;
        stats.odditiesByColumn[name] = (stats.odditiesByColumn[name] ?? 0) + 1;
      }
    }
    // csv_error: characters after a closing quote.
    let row = kind === 'csv_error' ? cells.map((c, j) => (j === quoteAt ? '"BBB"BB' : csvField(c))).join(',') : cells.map(csvField).join(',');
    if (row === '') row = '""'; // one empty column: an empty line would be no record at all
    row += extra;
    if (kind === 'column_count') row += ',extra';
    buf += row + eol;
    if (buf.length > 1 << 20) {
      stats.bytes += Buffer.byteLength(buf);
      if (!ws.write(buf)) await once(ws, 'drain');
      buf = '';
      onProgress?.(i + 1);
    }
  }
  stats.bytes += Buffer.byteLength(buf);
  ws.end(buf);
  await once(ws, 'finish');
  onProgress?.(opts.rows);
  return stats;
}
