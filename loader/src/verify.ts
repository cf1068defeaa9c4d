// `pipewarden verify`: the proof behind "no row lost, none duplicated". Re-reads the source
// with the same engine, then streams the dataset's table and compares key sets and values (a
// CRC32 of each row's canonical encoding), the stored row being the occurrence the
// duplicate policy keeps (first or last in source order). A keyless table is compared as a
// multiset of rows: every source row exactly as many times as the source has it.
// Memory is O(distinct keys); fine to tens of millions.
import { crc32 } from 'node:zlib';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { TABLES, connect, datasetOf, streamingConnection, encodeTsvLine, ident, rulesFor, splitTsv, type Config, type Value } from '@pipewarden/core';
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

export async function verifyTable(config: Config, sourceUrl: string, opts: { signal?: AbortSignal } = {}): Promise<VerifyReport> {
  const spec = datasetOf(config);
  const rules = rulesFor(spec);
  const keyless = spec.key.length === 0;
  // Keyless: the row's own encoding is its identity; a multiset, so duplicates count.
  const keyOf = (line: string) => (keyless ? `${crc32(line)}:${line.length}` : rules.keyOfLine(line));
  const keptOccurrence = (occurrences: number[]) => (spec.duplicates === 'last' ? occurrences[occurrences.length - 1] : occurrences[0]);
  const source = openSource(sourceUrl, config);
  // key → CRC32s of its source occurrences (duplicates in the source may differ in values)
  const expected = new Map<string, number | number[]>();
  let records = 0;
  let kept = 0;
  let rejected = 0;
  const versions: [string, string][] = [];
  try {
    for (const obj of await source.list()) {
      versions.push([obj.key, obj.etag]);
      const ctl = new AbortController();
      for await (const d of new InlineEngine(rules).batches(source, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 10000 }, opts.signal ?? ctl.signal)) {
        records += d.src.records;
        rejected += d.rejects.length;
        for (const line of splitTsv(d.tsv.toString('utf8'))) {
          kept++;
          const k = keyOf(line);
          const c = crc32(line + '\n'); // encodeTsvLine ends each row with a newline
          const prev = expected.get(k);
          if (prev === undefined) expected.set(k, c);
          else expected.set(k, Array.isArray(prev) ? [...prev, c] : [prev, c]);
        }
      }
    }
  } finally {
    source.close();
  }

  const conn = await connect(config);
  const seen = new Set<string>();
  let tableRows = 0;
  let unexpected = 0;
  let mismatched = 0;
  let notFirst = 0;
  const remaining = new Map<string, number>(); // keyless: source occurrences of a row not yet matched
  const occurrences = (e: number | number[] | undefined) => (e === undefined ? 0 : Array.isArray(e) ? e.length : 1);
  try {
    await new Promise<void>((resolve, reject) => {
      // Streamed through the core connection; no statement deadline: reading a whole table takes as long as it takes.
      const q = streamingConnection(conn).query({ sql: `SELECT ${rules.columnNames.map(ident).join(', ')} FROM ${ident(spec.table)}`, rowsAsArray: true, timeout: 0 });
      q.on('error', reject)
        .on('result', (row: unknown) => {
          tableRows++;
          const values = row as Value[];
          if (keyless) {
            const k = keyOf(encodeTsvLine(values).slice(0, -1));
            const exp = expected.get(k);
            const left = remaining.get(k) ?? occurrences(exp);
            if (left === 0) unexpected++;
            else {
              remaining.set(k, left - 1);
              seen.add(k);
            }
            return;
          }
          const k = rules.keyOfValues(values);
          seen.add(k);
          const exp = expected.get(k);
          if (exp === undefined) {
            unexpected++;
            return;
          }
          const c = crc32(encodeTsvLine(values));
          if (Array.isArray(exp) ? !exp.includes(c) : exp !== c) mismatched++;
          else if (Array.isArray(exp) && keptOccurrence(exp) !== c) notFirst++;
        })
        .on('end', () => resolve());
    });
    const deadLetters = await deadLettersOf(conn, versions, config.pipeline);
    const lostKeys = keyless ? [] : [...expected.keys()].filter((k) => !seen.has(k));
    // Keyless: rows the source has more often than the table (a distinct "key" is a distinct row).
    const lostRows = keyless ? [...expected].reduce((n, [k, e]) => n + (remaining.get(k) ?? occurrences(e)), 0) : 0;
    const report: VerifyReport = {
      pipeline: config.pipeline,
      table: spec.table,
      source: source.url,
      sourceRecords: records,
      sourceKept: kept,
      // Keyless: every kept row is one the table must hold.
      sourceDistinctKeys: keyless ? kept : expected.size,
      sourceRejected: rejected,
      tableRows,
      deadLetters,
      lost: keyless ? lostRows : lostKeys.length,
      unexpected,
      mismatched,
      notFirst,
      duplicated: keyless ? 0 : tableRows - seen.size,
      sampleLost: lostKeys.slice(0, 10),
      ok: false,
    };
    report.ok = rowsMatch(report) && report.deadLetters === report.sourceRejected;
    return report;
  } finally {
    conn.destroy();
  }
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
