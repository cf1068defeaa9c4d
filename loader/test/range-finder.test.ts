// The ranges of a split object (issue 17) must cut it exactly where a whole-object read cuts
// its batches: loading every range with the engine's end bound gives the same batches (same
// records, bytes, lines, rows, dead letters) as one read of the whole object, whatever the
// range size, with quoted line ends, blank lines, CRLF and a last line without its end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DATASET, datasetOf, rulesFor, type ObjectRange } from '@pipewarden/core';
import { InlineEngine, readHeader } from '../src/engine/inline';
import type { BatchDraft, EngineStart } from '../src/engine/types';
import { generate } from '../src/generate';
import { findRanges, type FindFrom } from '../src/range-finder';
import { LocalSource } from '../src/source/local';
import type { SourceObject } from '../src/source/types';

const BATCH = 50;
const engine = new InlineEngine(rulesFor(datasetOf({ dataset: DEFAULT_DATASET })));
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'pw-ranges-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function objectOf(file: string): Promise<{ src: LocalSource; obj: SourceObject }> {
  const src = new LocalSource(file);
  const [obj] = await src.list();
  return { src, obj };
}

/** What identifies a batch's content: its place in the object, its rows and its dead letters. */
function shape(d: BatchDraft) {
  return { src: d.src, tsv: Buffer.from(d.tsv).toString('base64'), keys: d.keys, rejects: d.rejects.map((r) => [r.line, r.reason, r.raw.toString('base64')]) };
}

async function drafts(src: LocalSource, obj: SourceObject, start: EngineStart): Promise<BatchDraft[]> {
  const out: BatchDraft[] = [];
  for await (const d of engine.batches(src, obj, start, new AbortController().signal)) if (d.src.records > 0) out.push(d);
  return out;
}

async function rangesOf(src: LocalSource, obj: SourceObject, rangeBytes: number, from: FindFrom = { firstRecord: 1, byte: 0, line: 1 }): Promise<{ ranges: ObjectRange[]; completes: number }> {
  const ranges: ObjectRange[] = [];
  let completes = 0;
  await findRanges(src, obj, from, {
    batchSize: BATCH,
    rangeBytes,
    signal: new AbortController().signal,
    publish: async (r, complete) => {
      ranges.push(...r);
      if (complete) completes++;
    },
  });
  return { ranges, completes };
}

async function expectRangesCutLikeTheWhole(file: string, rangeBytes: number): Promise<ObjectRange[]> {
  const { src, obj } = await objectOf(file);
  const whole = await drafts(src, obj, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: BATCH });
  const { ranges, completes } = await rangesOf(src, obj, rangeBytes);
  expect(completes).toBe(1);
  // Contiguous, batch-aligned, each at least rangeBytes long but the last.
  ranges.forEach((r, i) => {
    if (i > 0) expect([r.firstRecord, r.startByte, r.startLine]).toEqual([ranges[i - 1].firstRecord + ranges[i - 1].records, ranges[i - 1].endByte, ranges[i - 1].nextLine]);
    if (i < ranges.length - 1) {
      expect(r.records % BATCH).toBe(0);
      expect(r.endByte - r.startByte).toBeGreaterThanOrEqual(rangeBytes);
    }
  });
  const header = await readHeader(src, obj, new AbortController().signal);
  const pieces: BatchDraft[] = [];
  for (const r of ranges) {
    pieces.push(...(await drafts(src, obj, { nextRecord: r.firstRecord, nextByte: r.startByte, nextLine: r.startLine, header, batchSize: r.batchSize, end: { byte: r.endByte, record: r.firstRecord + r.records } })));
  }
  expect(pieces.map(shape)).toEqual(whole.map(shape));
  return ranges;
}

test('ranges of a generated NYC file load the same batches as the whole file, for any range size', async () => {
  const file = join(dir, 'nyc.csv');
  await generate(file, { rows: 1200, seed: 17, badShare: 0.02, duplicateShare: 0.01 });
  const size = readFileSync(file).length;
  const counts = [];
  for (const bytes of [1, Math.floor(size / 7), Math.floor(size / 2), size * 2]) counts.push((await expectRangesCutLikeTheWhole(file, bytes)).length);
  // From one range per batch to the whole file in one.
  expect(counts[0]).toBe(1200 / BATCH);
  expect(counts[1]).toBeGreaterThanOrEqual(5);
  expect(counts[3]).toBe(1);
});

test('quoted line ends, blank lines, CRLF and a last line without its end are cut where the engine cuts them', async () => {
  const lines = ['a,b,c'];
  for (let i = 0; i < 400; i++) {
    if (i % 7 === 0) lines.push(`${i},"two\nlines ${i}",x`);
    else if (i % 11 === 0) lines.push('');
    else if (i % 13 === 0) lines.push(`${i},"quoted ""comma"", here",y`);
    else lines.push(`${i},plain,z`);
  }
  const lf = join(dir, 'odd-lf.csv');
  writeFileSync(lf, lines.join('\n'));
  const crlf = join(dir, 'odd-crlf.csv');
  writeFileSync(crlf, lines.join('\r\n') + '\r\n\r\n');
  for (const file of [lf, crlf]) for (const bytes of [1, 700, 3000]) await expectRangesCutLikeTheWhole(file, bytes);
});

test('a pass resumed after the last range published finds the same ranges as one pass from the top', async () => {
  const file = join(dir, 'resume.csv');
  await generate(file, { rows: 900, seed: 5 });
  const { src, obj } = await objectOf(file);
  const bytes = Math.floor(readFileSync(file).length / 6);
  const all = (await rangesOf(src, obj, bytes)).ranges;
  const last = all[1];
  const rest = await rangesOf(src, obj, bytes, { firstRecord: last.firstRecord + last.records, byte: last.endByte, line: last.nextLine });
  expect(rest.ranges).toEqual(all.slice(2));
  expect(rest.completes).toBe(1);
});
