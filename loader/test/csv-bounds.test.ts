// Every record is bounded, whatever its quoting: a line that never ends (no LF at all, a
// binary blob, an unclosed quote) costs one error record and at most the limit in memory,
// and parsing goes on at the next line end. A file whose lines end in a lone CR is refused
// with an error that says so.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DATASET, datasetOf, rulesFor } from '@pipewarden/core';
import { CsvFormatError, CsvRecordReader, type CsvRecord } from '../src/engine/csv-records';
import { InlineEngine } from '../src/engine/inline';
import { LocalSource } from '../src/source/local';

const MAX = 1 << 16;

/** Push `parts` in 4 KB chunks; the records, and the most bytes the reader ever held. */
function feed(parts: Buffer[], opts = { maxRecordBytes: MAX }): { recs: (Pick<CsvRecord, 'startByte' | 'endByte' | 'line' | 'nextLine' | 'error'> & { fields: string[]; raw: Buffer })[]; peak: number } {
  const r = new CsvRecordReader(opts);
  const out: CsvRecord[] = [];
  const copy = (x: CsvRecord) => ({ fields: x.fields, startByte: x.startByte, endByte: x.endByte, line: x.line, nextLine: x.nextLine, error: x.error, raw: Buffer.from(x.raw) });
  const recs: ReturnType<typeof copy>[] = [];
  let peak = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 4096) {
      out.push(...r.push(p.subarray(i, i + 4096)));
      recs.push(...out.splice(0).map(copy));
      peak = Math.max(peak, r.pending);
    }
  }
  recs.push(...r.end().map(copy));
  return { recs, peak };
}

const b = (s: string) => Buffer.from(s);

test.each([
  ['one endless unquoted line', 'x'],
  ['a binary blob without LF', '\u0001\u00ff,\u0000'],
  ['an unclosed quoted field without LF', '"'],
])('%s: one error record, bounded memory, and parsing resumes at the next line end', (_what, unit) => {
  const long = Buffer.from(unit.repeat(Math.ceil((5 * MAX) / Buffer.byteLength(unit))), 'latin1');
  const head = b('h1,h2\n1,a\n');
  const { recs, peak } = feed([head, b('2,'), long, b('\n3,c\n')]);
  expect(peak).toBeLessThanOrEqual(MAX + 4096);
  expect(recs.map((r) => r.fields)).toEqual([['h1', 'h2'], ['1', 'a'], [], ['3', 'c']]);
  const bad = recs[2];
  expect(bad.error).toMatch(/longer than 65536 bytes/);
  expect(bad.startByte).toBe(head.length);
  expect(bad.endByte).toBe(head.length + 2 + long.length + 1);
  expect([bad.line, bad.nextLine]).toEqual([3, 4]);
  expect(bad.raw.length).toBeLessThanOrEqual(MAX);
  expect(bad.raw.subarray(0, 2).toString()).toBe('2,');
  expect(recs[3]).toMatchObject({ startByte: bad.endByte, line: 4 });
});

test('an endless last line (no line end before the end of the object) is one error record too', () => {
  const { recs, peak } = feed([b('h\n'), Buffer.alloc(3 * MAX, 'y')]);
  expect(peak).toBeLessThanOrEqual(MAX + 4096);
  expect(recs).toHaveLength(2);
  expect(recs[1]).toMatchObject({ startByte: 2, endByte: 2 + 3 * MAX, line: 2 });
  expect(recs[1].error).toMatch(/longer than/);
});

test('a record just under the limit, across many chunks, is parsed whole', () => {
  const field = 'z'.repeat(MAX - 100);
  const { recs } = feed([b(`h1,h2\n1,${field}\n2,"${field}"\n`)]);
  expect(recs.map((r) => [r.fields[0], r.fields[1]?.length, r.error])).toEqual([
    ['h1', 2, undefined],
    ['1', MAX - 100, undefined],
    ['2', MAX - 100, undefined],
  ]);
});

test('lone CR line ends are refused at the top of the object with an error naming them', () => {
  expect(() => feed([b('h1,h2\r1,a\r2,b\r')])).toThrow(CsvFormatError);
  expect(() => feed([b('h1,h2\r1,a\r2,b\r')])).toThrow(/lone CR/);
  expect(() => feed([Buffer.concat([b('h1,h2\r'), Buffer.alloc(200_000, 'q')])])).toThrow(/lone CR/);
  // CRLF, LF, and a CR inside a quoted field are fine.
  expect(feed([b('h1,h2\r\n1,"a\rb"\n')]).recs.map((r) => r.fields)).toEqual([['h1', 'h2'], ['1', 'a\rb']]);
});

test('the inline engine names the object whose line ends are lone CRs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-cr-'));
  try {
    const file = join(dir, 'mac.csv');
    writeFileSync(file, 'Summons Number,Plate ID\r1,A\r2,B\r');
    const src = new LocalSource(file);
    const [obj] = await src.list();
    const run = async () => {
      for await (const d of new InlineEngine(rulesFor(datasetOf({ dataset: DEFAULT_DATASET }))).batches(src, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 10 }, new AbortController().signal)) void d;
    };
    await expect(run()).rejects.toThrow(`${file}: its lines end in a lone CR`);
    src.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Every record of `input` read in chunks of `chunk` bytes. */
function cutIn(input: Buffer, chunk: number, max: number): unknown[] {
  const r = new CsvRecordReader({ maxRecordBytes: max });
  const out: unknown[] = [];
  const take = (rs: CsvRecord[]) => out.push(...rs.map((x) => ({ fields: x.fields, start: x.startByte, end: x.endByte, line: x.line, error: x.error ?? null, raw: Buffer.from(x.raw).toString('latin1') })));
  for (let i = 0; i < input.length; i += chunk) take(r.push(input.subarray(i, i + chunk)));
  take(r.end());
  return out;
}

test.each([
  ['an unquoted line far over the limit', `h1,h2\n1,a\n2,${'x'.repeat(5000)}\n3,c\n`],
  ['an unclosed quote far over the limit', `h1,h2\n1,a\n2,"${'q'.repeat(5000)}\n3,c\n`],
  ['records at exactly the limit and one over', `h\n${'y'.repeat(1000)}\n${'y'.repeat(999)}\r\n"${'w'.repeat(998)}"\n${'z'.repeat(1001)}\n9\n`],
  ['a quoted field one byte over the limit', `h\n"${'w'.repeat(999)}"\n9\n`],
  ['a quoted field spanning lines, then an over-long line', `h1,h2\n"a\nb",${'x'.repeat(1100)}\n3,c\n`],
  ['characters after a closing quote, far over the limit', `h1,h2\n"a"b${'x'.repeat(3000)}\n3,c\n`],
  ['quoted lines past the limit', `h1,h2\n1,"${'abcd\n'.repeat(300)}"\n2,b\n`],
])('%s: the same records whatever the read sizes (a re-read must cut what the load cut)', (_what, text) => {
  const input = Buffer.from(text, 'latin1');
  const reference = cutIn(input, 1, 1000);
  for (const chunk of [2, 7, 999, 1000, 1001, 1002, 4096, 1 << 16]) expect(cutIn(input, chunk, 1000)).toEqual(reference);
});

test('the lone-CR verdict looks at the first 64 KiB only, whatever the read sizes (as pwcsv.check_line_ends)', () => {
  // A CR in the first 64 KiB and the first LF past them: refused, as the Spark engine does.
  const input = Buffer.from(`h1,"a\rb${'x'.repeat(70_000)}"\n1,c\n`, 'latin1');
  const verdict = (chunk: number) => {
    try {
      return cutIn(input, chunk, 1 << 20);
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  expect(verdict(input.length)).toMatch(/^CsvFormatError: its lines end in a lone CR/);
  expect(verdict(4096)).toEqual(verdict(input.length));
});
