// `pipewarden verify`: the proof behind "no row lost, none duplicated". Re-reads the source
// with the same engine, then streams the table and compares key sets and values (a CRC32 of
// each row's canonical encoding). Memory is O(distinct keys); fine to tens of millions.
import { crc32 } from 'node:zlib';
import mysql from 'mysql2';
import { COLUMN_NAMES, TABLES, encodeTsvLine, mysqlOptions, splitTsv, tsvLineKey, type Config, type Value } from '@pipewarden/core';
import { InlineEngine } from './engine/inline';
import { openSource } from './source';

export interface VerifyReport {
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
   * Keys the source repeats whose stored row is a later occurrence, not the first: the
   * load keeps the first occurrence of a repeated key, on every run and after every repair.
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
      for await (const d of new InlineEngine().batches(source, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 10000 }, opts.signal ?? ctl.signal)) {
        records += d.src.records;
        rejected += d.rejects.length;
        for (const line of splitTsv(d.tsv.toString('utf8'))) {
          kept++;
          const k = tsvLineKey(line);
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

  const conn = mysql.createConnection(mysqlOptions(config) as mysql.ConnectionOptions);
  const seen = new Set<string>();
  let tableRows = 0;
  let unexpected = 0;
  let mismatched = 0;
  let notFirst = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const q = conn.query({ sql: `SELECT ${COLUMN_NAMES.map((c) => `\`${c}\``).join(', ')} FROM \`${TABLES.violations}\``, rowsAsArray: true });
      q.on('error', reject)
        .on('result', (row: unknown) => {
          tableRows++;
          const values = row as Value[];
          const k = String(values[0]);
          seen.add(k);
          const exp = expected.get(k);
          if (exp === undefined) {
            unexpected++;
            return;
          }
          const c = crc32(encodeTsvLine(values));
          if (Array.isArray(exp) ? !exp.includes(c) : exp !== c) mismatched++;
          else if (Array.isArray(exp) && exp[0] !== c) notFirst++;
        })
        .on('end', () => resolve());
    });
    const deadLetters = await deadLettersOf(conn.promise(), versions);
    const lostKeys = [...expected.keys()].filter((k) => !seen.has(k));
    const report: VerifyReport = {
      source: source.url,
      sourceRecords: records,
      sourceKept: kept,
      sourceDistinctKeys: expected.size,
      sourceRejected: rejected,
      tableRows,
      deadLetters,
      lost: lostKeys.length,
      unexpected,
      mismatched,
      notFirst,
      duplicated: tableRows - seen.size,
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
 * A dead letter commits in its batch's transaction, so the ledger row names its version.
 */
async function deadLettersOf(conn: ReturnType<mysql.Connection['promise']>, versions: readonly [string, string][]): Promise<number> {
  let n = 0;
  for (let i = 0; i < versions.length; i += 500) {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM \`${TABLES.deadLetters}\` d JOIN \`${TABLES.ledger}\` l ON l.batch_id = d.batch_id WHERE (l.source_key, l.source_etag) IN (?)`,
      [versions.slice(i, i + 500)],
    );
    n += Number(rows[0].n);
  }
  return n;
}
