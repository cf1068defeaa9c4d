// `pipewarden verify`: the proof behind "no row lost, none duplicated". Re-reads the source
// with the same engine, then streams the dataset's table and compares key sets and values (a
// CRC32 of each row's canonical encoding), the stored row being the occurrence the
// duplicate policy keeps (first or last in source order). A keyless table is compared as a
// multiset of rows: every source row exactly as many times as the source has it.
// Memory is O(distinct keys); fine to tens of millions.
import { crc32 } from 'node:zlib';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { TABLES, connect, datasetOf, streamingConnection, encodeTsvLine, ident, rulesFor, splitTsv, type Config, type ResolvedSpec, type RowRules, type Value } from '@pipewarden/core';
import { InlineEngine } from './engine/inline';
import { openSource } from './source';

export interface VerifyReport {
  /** The pipeline verified (its source and table; `default` without pipelines). */
  pipeline: string;
  /** The table compared with the source. */
  table: string;
  source: string;
  sourceRecords: number;
  sourceKept: number;
  sourceDistinctKeys: number;
  sourceRejected: number;
  tableRows: number;
  deadLetters: number;
  /** Source keys the table lacks. */
  lost: number;
  /** Table keys the source does not have. */
  unexpected: number;
  /** Keys whose stored values match no source occurrence. */
  mismatched: number;
  /**
   * Keys the source repeats whose stored row is another occurrence than the one the
   * duplicate policy keeps (the first under `first`, the last under `last`), on every run
   * and after every repair. (The name is from when `first` was the only policy.)
   */
  notFirst: number;
  /** Table rows beyond one per key (impossible with the primary key; checked anyway). */
  duplicated: number;
  sampleLost: string[];
  ok: boolean;
}

/** The table's rows equal the source's: every check of the report except dead letters. */
export function rowsMatch(r: VerifyReport): boolean {
  return r.lost === 0 && r.unexpected === 0 && r.mismatched === 0 && r.notFirst === 0 && r.duplicated === 0 && r.tableRows === r.sourceDistinctKeys;
}

/** Reads the source, streams the table against it, counts the source's dead letters, reports. */
export async function verifyTable(config: Config, sourceUrl: string, opts: { signal?: AbortSignal } = {}): Promise<VerifyReport> {
  const spec = datasetOf(config);
  const rules = rulesFor(spec);
  const identity = rowIdentity(spec, rules);
  const source = await readSource(config, sourceUrl, rules, identity, opts.signal);
  const conn = await connect(config);
  try {
    const table = new TableCheck(spec, identity, source.expected);
    // Streamed through the core connection; no statement deadline: reading a whole table takes as long as it takes.
    await streamRows(conn, `SELECT ${rules.columnNames.map(ident).join(', ')} FROM ${ident(spec.table)}`, (values) => table.add(values));
    const deadLetters = await deadLettersOf(conn, source.versions, config.pipeline);
    return reportOf(config.pipeline, spec, source, table, deadLetters);
  } finally {
    conn.destroy();
  }
}

/** The identity a row is compared by: its key, as a TSV line or as stored values. */
interface RowIdentity {
  ofLine(line: string): string;
  ofValues(values: Value[]): string;
}

function rowIdentity(spec: ResolvedSpec, rules: RowRules): RowIdentity {
  if (spec.key.length) return { ofLine: (line) => rules.keyOfLine(line), ofValues: (values) => rules.keyOfValues(values) };
  // Keyless: the row's own encoding is its identity; a multiset, so duplicates count.
  const ofLine = (line: string) => `${crc32(line)}:${line.length}`;
  return { ofLine, ofValues: (values) => ofLine(encodeTsvLine(values).slice(0, -1)) };
}

/** CRC32 of a row's canonical encoding, or of each source occurrence of a repeated key. */
type Expected = number | number[];

/** What the source holds, read with the same engine as a load. */
interface SourceRead {
  url: string;
  records: number;
  kept: number;
  rejected: number;
  /** key → CRC32s of its source occurrences (duplicates in the source may differ in values) */
  expected: Map<string, Expected>;
  /** The object versions read, (key, etag): their dead letters are this source's rejects. */
  versions: [string, string][];
}

async function readSource(config: Config, sourceUrl: string, rules: RowRules, identity: RowIdentity, signal: AbortSignal | undefined): Promise<SourceRead> {
  const source = openSource(sourceUrl, config);
  const read: SourceRead = { url: source.url, records: 0, kept: 0, rejected: 0, expected: new Map(), versions: [] };
  try {
    for (const obj of await source.list()) {
      read.versions.push([obj.key, obj.etag]);
      const ctl = new AbortController();
      for await (const d of new InlineEngine(rules).batches(source, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 10000 }, signal ?? ctl.signal)) {
        read.records += d.src.records;
        read.rejected += d.rejects.length;
        for (const line of splitTsv(d.tsv.toString('utf8'))) {
          read.kept++;
          const k = identity.ofLine(line);
          const c = crc32(line + '\n'); // encodeTsvLine ends each row with a newline
          const prev = read.expected.get(k);
          if (prev === undefined) read.expected.set(k, c);
          else read.expected.set(k, Array.isArray(prev) ? [...prev, c] : [prev, c]);
        }
      }
    }
  } finally {
    source.close();
  }
  return read;
}

/** Streams a query's rows (as arrays) into `onRow`; resolves at their end. */
function streamRows(conn: Connection, sql: string, onRow: (values: Value[]) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const q = streamingConnection(conn).query({ sql, rowsAsArray: true, timeout: 0 });
    q.on('error', reject)
      .on('result', (row: unknown) => onRow(row as Value[]))
      .on('end', () => resolve());
  });
}

const occurrences = (e: Expected | undefined) => (e === undefined ? 0 : Array.isArray(e) ? e.length : 1);

/** The table's rows checked one by one, as they stream, against what the source holds. */
class TableCheck {
  rows = 0;
  unexpected = 0;
  mismatched = 0;
  notFirst = 0;
  /** Source keys (keyless: rows) the table has. */
  readonly seen = new Set<string>();
  /** Keyless: source occurrences of a row not yet matched. */
  private readonly remaining = new Map<string, number>();
  private readonly keyless: boolean;

  constructor(
    private readonly spec: ResolvedSpec,
    private readonly identity: RowIdentity,
    private readonly expected: Map<string, Expected>,
  ) {
    this.keyless = spec.key.length === 0;
  }

  add(values: Value[]): void {
    this.rows++;
    if (this.keyless) this.addKeyless(values);
    else this.addKeyed(values);
  }

  /** Source keys the table lacks (none for a keyless table: see lostRows). */
  lostKeys(): string[] {
    return this.keyless ? [] : [...this.expected.keys()].filter((k) => !this.seen.has(k));
  }

  /** Keyless: rows the source has more often than the table (a distinct "key" is a distinct row). */
  lostRows(): number {
    return [...this.expected].reduce((n, [k, e]) => n + (this.remaining.get(k) ?? occurrences(e)), 0);
  }

  private addKeyless(values: Value[]): void {
    const k = this.identity.ofValues(values);
    const left = this.remaining.get(k) ?? occurrences(this.expected.get(k));
    if (left === 0) this.unexpected++;
    else {
      this.remaining.set(k, left - 1);
      this.seen.add(k);
    }
  }

  private addKeyed(values: Value[]): void {
    const k = this.identity.ofValues(values);
    this.seen.add(k);
    const exp = this.expected.get(k);
    if (exp === undefined) {
      this.unexpected++;
      return;
    }
    const c = crc32(encodeTsvLine(values));
    if (Array.isArray(exp) ? !exp.includes(c) : exp !== c) this.mismatched++;
    else if (Array.isArray(exp) && this.keptOccurrence(exp) !== c) this.notFirst++;
  }

  /** The occurrence the duplicate policy keeps: the first in source order, or the last under `last`. */
  private keptOccurrence(occurrences: number[]): number {
    return this.spec.duplicates === 'last' ? occurrences[occurrences.length - 1] : occurrences[0];
  }
}

function reportOf(pipeline: string, spec: ResolvedSpec, source: SourceRead, table: TableCheck, deadLetters: number): VerifyReport {
  const keyless = spec.key.length === 0;
  const lostKeys = table.lostKeys();
  const report: VerifyReport = {
    pipeline,
    table: spec.table,
    source: source.url,
    sourceRecords: source.records,
    sourceKept: source.kept,
    // Keyless: every kept row is one the table must hold.
    sourceDistinctKeys: keyless ? source.kept : source.expected.size,
    sourceRejected: source.rejected,
    tableRows: table.rows,
    deadLetters,
    lost: keyless ? table.lostRows() : lostKeys.length,
    unexpected: table.unexpected,
    mismatched: table.mismatched,
    notFirst: table.notFirst,
    duplicated: keyless ? 0 : table.rows - table.seen.size,
    sampleLost: lostKeys.slice(0, 10),
    ok: false,
  };
  report.ok = rowsMatch(report) && report.deadLetters === report.sourceRejected;
  return report;
}

/**
 * Dead letters of these object versions only: a replaced object's earlier version keeps its
 * own dead letters (under its own batch ids), which are history, not this source's rejects.
 * A dead letter commits in its batch's transaction, so the ledger row names its version —
 * and its pipeline: another pipeline reading the same object has dead letters of its own.
 */
async function deadLettersOf(conn: Connection, versions: readonly [string, string][], pipeline: string): Promise<number> {
  let n = 0;
  for (let i = 0; i < versions.length; i += 500) {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM \`${TABLES.deadLetters}\` d JOIN \`${TABLES.ledger}\` l ON l.batch_id = d.batch_id WHERE l.pipeline = ? AND (l.source_key, l.source_etag) IN (?)`,
      [pipeline, versions.slice(i, i + 500)],
    );
    n += Number(rows[0].n);
  }
  return n;
}
