// The NYC spec through the generic rules against the frozen pre-issue-15 compiled rules
// (bench/baselines/compiled-nyc): the same TSV bytes, keys, reject reasons and oddity
// counts on the real files; and the few values where the generic rules are documented to
// differ, each pinned here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GrowableSink, DEFAULT_DATASET, datasetOf, rulesFor, type HeaderMap, type Value } from '@pipewarden/core';
import * as compiled from '../../bench/baselines/compiled-nyc';
import { CsvRecordReader, type CsvRecord } from '../src/engine/csv-records';
import { FastRows } from '../src/engine/fast-row';

const rules = rulesFor(datasetOf({ dataset: DEFAULT_DATASET }));
const fast = new FastRows(rules);

/** Each engine's whole output for a file, as the inline engine makes it (fast path when it can). */
function outputs(csv: Buffer) {
  const reader = new CsvRecordReader();
  let map: HeaderMap | undefined;
  let cmap: compiled.HeaderMap | undefined;
  const gOdd = rules.newOddities();
  const cOdd = new compiled.OddityCounter();
  const g = { tsv: new GrowableSink(1 << 12), keys: [] as string[], rejects: [] as string[] };
  const c = { tsv: new GrowableSink(1 << 12), keys: [] as string[], rejects: [] as string[] };
  const values: Value[] = [];
  const cvalues: compiled.Value[] = [];
  const key = [''];
  let records = 0;
  const take = (r: CsvRecord) => {
    if (!map) {
      map = rules.mapHeader(r.fields);
      cmap = compiled.mapHeader(r.fields);
      return;
    }
    if (r.error) return;
    records++;
    let reason = fast.record(r, map, gOdd, g.tsv, g.keys, values);
    if (reason !== null) g.rejects.push(`${r.line}:${reason}`);
    const onFast = r.ascii && !r.hasEscapes;
    reason = onFast ? compiled.fastRow(r.source, r.ranges, cmap!, cOdd, c.tsv, key) : compiled.normalizeInto(r.fields, cmap!, cOdd, cvalues);
    if (reason !== null) c.rejects.push(`${r.line}:${reason}`);
    else if (onFast) c.keys.push(key[0]);
    else {
      c.keys.push(cvalues[compiled.KEY_INDEX] as string);
      c.tsv.write(compiled.encodeTsvLine(cvalues));
    }
  };
  for (let i = 0; i < csv.length; i += 65536) for (const r of reader.push(csv.subarray(i, i + 65536))) take(r);
  for (const r of reader.end()) take(r);
  return { records, g: { ...g, tsv: g.tsv.bytes(), odd: gOdd.counts }, c: { ...c, tsv: c.tsv.bytes(), odd: cOdd.counts } };
}

// The team's shared copy of the real head when it sits beside the repository (a clone
// elsewhere, such as CI's, has only the shipped sample).
const SHARED_HEAD = join(__dirname, '..', '..', '..', 'shared', 'data', 'nyc-parking-fy2014-head.csv');
test.each([
  ...(existsSync(SHARED_HEAD) ? [['the 4,999-row FY2014 head (../shared/data)', SHARED_HEAD]] : []),
  ['the shipped FY2014 sample (data/)', join(__dirname, '..', '..', 'data', 'nyc-parking-fy2014-sample.csv')],
])('%s: the same TSV bytes, keys, rejects and oddities as the compiled rules', (_, file) => {
  const { records, g, c } = outputs(readFileSync(file));
  expect(records).toBe(4999);
  expect(g.tsv.equals(c.tsv)).toBe(true);
  expect(g.keys).toEqual(c.keys);
  expect(g.rejects).toEqual(c.rejects);
  expect(g.odd).toEqual(c.odd);
  expect(g.tsv.length).toBeGreaterThan(1_000_000);
});

/** One NYC record's outcome for a raw value of `column`, by both rule sets (reference paths). */
function both(column: string, raw: string): { generic: string; compiled: string } {
  const header = rules.spec.columns.map((c) => c.header);
  const record: string[] = header.map((_, i) => (i === 0 ? '1' : ''));
  const i = rules.columnNames.indexOf(column);
  record[i] = raw;
  const gv: Value[] = [];
  const cv: compiled.Value[] = [];
  const gr = rules.normalizeInto(record, rules.mapHeader(header), rules.newOddities(), gv);
  const cr = compiled.normalizeInto(record, compiled.mapHeader(header), new compiled.OddityCounter(), cv);
  return { generic: gr ?? String(gv[i]), compiled: cr ?? String(cv[i]) };
}

// Documented differences: the generic integer rule drops leading zeros before bounds
// (the compiled one refused more than 12 digits, or a 'year' not written with exactly 4),
// and reads '-0' as 0; the generic 12-hour clock keeps 00xxP at hour 0 (the compiled one
// made it 12:xx) and accepts AM/PM spelled out.
test.each([
  ['violation_code', '0000000000046', { generic: '46', compiled: 'null' }],
  ['street_code1', '-0', { generic: '0', compiled: 'null' }],
  ['vehicle_year', '02014', { generic: '2014', compiled: 'null' }],
  ['summons_number', '-0', { generic: 'invalid_key', compiled: 'invalid_key' }],
  ['summons_number', '+5', { generic: 'invalid_key', compiled: 'invalid_key' }],
  ['violation_time', '0030P', { generic: '00:30:00', compiled: '12:30:00' }],
  ['violation_time', '0752AM', { generic: '07:52:00', compiled: 'null' }],
  ['violation_time', '1205A', { generic: '00:05:00', compiled: '00:05:00' }],
  ['issue_date', '20140229', { generic: 'null', compiled: 'null' }],
])('%s "%s": %j', (column, raw, expected) => expect(both(column, raw)).toEqual(expected));
