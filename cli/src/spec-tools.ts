// What `pipewarden spec infer` and `spec check` do, apart from printing: read a file (local
// or S3, through the loader's own sources). Infer samples records with the loader's own CSV
// splitter (a Parquet object: its column names and first rows, as the loader reads them); check runs the inline engine itself over every object (exactly what a load
// does with each record: fast path or reference), writing nothing. Loaded lazily by the
// command (cli/src/lazy.ts).
import { UserError, inferSpec, rulesFor, type Config, type InferredSpec, type RejectReason, type ResolvedSpec } from '@pipewarden/core';
import { CsvFormatError, CsvRecordReader, InlineEngine, openSource, parquetSample, type CsvRecord, type Source, type SourceObject } from '@pipewarden/loader';

/** Dead-letter line numbers shown per reject reason. */
const LINES_SHOWN = 5;

function isBlank(r: CsvRecord): boolean {
  return r.ranges.length === 2 && r.ranges[0] === r.ranges[1];
}

async function objectsOf(url: string, config: Config): Promise<{ source: Source; objects: SourceObject[] }> {
  const source = openSource(url, config);
  try {
    const listed = await source.list();
    // s3://bucket/key names one object; a prefix or a folder names all it holds.
    const exact = listed.filter((o) => o.key === url || o.key === url.replace(/^s3a:/, 's3:'));
    const objects = exact.length ? exact : listed;
    if (objects.length === 0) throw new UserError(`${url}: no object to read`);
    return { source, objects };
  } catch (e) {
    source.close();
    throw e;
  }
}

/** Every record of an object, in order; `onRecord` returns false to stop reading. */
async function eachRecord(source: Source, object: SourceObject, onRecord: (r: CsvRecord) => boolean | void): Promise<void> {
  const stream = source.open(object, 0);
  const reader = new CsvRecordReader();
  const split = (f: () => CsvRecord[]) => {
    try {
      return f();
    } catch (e) {
      if (e instanceof CsvFormatError) throw new UserError(`${object.key}: ${(e as Error).message}`, 'convert its line ends to LF or CRLF, e.g. `tr "\\r" "\\n"`');
      throw e;
    }
  };
  try {
    for await (const chunk of stream) {
      for (const r of split(() => reader.push(chunk as Buffer))) if (onRecord(r) === false) return;
    }
    for (const r of split(() => reader.end())) if (onRecord(r) === false) return;
  } finally {
    stream.destroy();
  }
}

interface InferRun {
  proposal: InferredSpec;
  object: string;
  /** Other objects the URL named (only the first was sampled). */
  others: number;
  /** Records the splitter could not read (not used). */
  csvErrors: number;
}

/**
 * Sample the first `rows` records of the (first) object a URL names and propose a spec.
 * @public required lazily (./lazy.ts specTools()) by `spec infer`
 */
export async function inferFrom(url: string, config: Config, opts: { rows: number; name?: string; table?: string }): Promise<InferRun> {
  const { source, objects } = await objectsOf(url, config);
  let header: string[] | undefined;
  const rows: string[][] = [];
  let csvErrors = 0;
  try {
    await source.probe?.([objects[0]]);
    if (objects[0].format === 'parquet') {
      // Column names and the first rows as text, as the loader reads them.
      const sample = await parquetSample(source, objects[0], opts.rows, new AbortController().signal);
      header = sample.header;
      rows.push(...sample.rows);
    } else await eachRecord(source, objects[0], (r) => {
      if (r.error) {
        csvErrors++;
        return;
      }
      // Fields are decoded now: the record's buffer is reused by the next push.
      if (!header) header = r.fields;
      else if (!isBlank(r)) rows.push(r.fields);
      return rows.length < opts.rows;
    });
  } finally {
    source.close();
  }
  if (!header) throw new UserError(`${objects[0].key} is empty: no header to read`);
  const proposal = inferSpec({ header, rows }, { name: opts.name, table: opts.table, source: objects[0].key });
  return { proposal, object: objects[0].key, others: objects.length - 1, csvErrors };
}

interface CheckObject {
  object: string;
  /** Null when the header maps; else why the object is refused (every record a bad_header). */
  headerRefused: string | null;
  absent: string[];
  unknown: string[];
  records: number;
}

export interface CheckReport {
  spec: string;
  table: string;
  key: string[];
  duplicates: ResolvedSpec['duplicates'];
  objects: CheckObject[];
  records: number;
  kept: number;
  rejected: number;
  /** Rejects by reason, with the first few (object and) line numbers. */
  rejects: Partial<Record<RejectReason, { count: number; lines: string[] }>>;
  /** Values loaded as NULL because they were invalid, by column. */
  nulled: Record<string, number>;
  /** Kept rows whose key an earlier kept row already had. */
  duplicateKeys: number;
  /** Rows the table would hold after this file alone: distinct keys (first/last), or every kept row (keep). */
  tableRows: number;
  /** The file would load: no object refused by its header. */
  loadable: boolean;
}

/**
 * What a load of `url` under `spec` would do, without writing anything.
 * @public required lazily (./lazy.ts specTools()) by `spec check`
 */
export async function checkFile(spec: ResolvedSpec, url: string, config: Config): Promise<CheckReport> {
  const rules = rulesFor(spec);
  const engine = new InlineEngine(rules);
  const { source, objects } = await objectsOf(url, config);
  const report: CheckReport = { spec: spec.origin, table: spec.table, key: spec.key, duplicates: spec.duplicates, objects: [], records: 0, kept: 0, rejected: 0, rejects: {}, nulled: {}, duplicateKeys: 0, tableRows: 0, loadable: true };
  const oddities = rules.newOddities();
  const keys = new Set<string>();
  const many = objects.length > 1;
  const signal = new AbortController().signal;
  try {
    for (const object of objects) {
      const o: CheckObject = { object: object.key, headerRefused: null, absent: [], unknown: [], records: 0 };
      report.objects.push(o);
      let mapped = false;
      for await (const d of engine.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 10000 }, signal)) {
        if (!mapped && d.header.length > 0) {
          // The header, once per object: what it leaves out, what it adds, or why it is refused.
          mapped = true;
          try {
            o.unknown = rules.mapHeader(d.header).unknown.map((h) => h.trim());
          } catch (e) {
            if (!(e instanceof UserError)) throw e;
            o.headerRefused = e.message;
            report.loadable = false;
          }
        }
        o.absent = d.absent ?? [];
        o.records += d.src.records;
        report.records += d.src.records;
        report.kept += d.keys.length;
        report.rejected += d.rejects.length;
        for (const r of d.rejects) {
          const e = (report.rejects[r.reason] ??= { count: 0, lines: [] });
          e.count++;
          if (e.lines.length < LINES_SHOWN) e.lines.push(many ? `${object.key}:${r.line}` : String(r.line));
        }
        oddities.add(d.oddities);
        if (spec.key.length) {
          for (const k of d.keys) {
            if (keys.has(k)) report.duplicateKeys++;
            else keys.add(k);
          }
        }
      }
    }
  } finally {
    source.close();
  }
  report.nulled = oddities.byColumn(rules.columnNames);
  report.tableRows = spec.key.length ? keys.size : report.kept;
  return report;
}
