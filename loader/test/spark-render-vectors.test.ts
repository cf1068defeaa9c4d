// render_vectors.json is what test_parquet.py holds the Spark job's Parquet renderer
// (pwparquet.py) to: it must be what the inline engine's renderer (rendererOf) writes today
// (regenerate: npx tsx loader/test/spark-job/render_vectors.ts).
import { readFileSync } from 'node:fs';
import { RENDER_VECTORS_PATH, renderVectors, type RenderCase } from './spark-job/render_vectors';

test("the committed render vectors are what the inline engine's renderer writes now", () => {
  const committed = JSON.parse(readFileSync(RENDER_VECTORS_PATH, 'utf8')) as RenderCase[];
  const now = JSON.parse(JSON.stringify(renderVectors())) as RenderCase[];
  expect(now.length).toBe(committed.length);
  now.forEach((c, i) => expect(c).toEqual(committed[i]));
});

test('the vectors cover every kind Spark hands over, and clocks JavaScript cannot hold', () => {
  const cases = renderVectors();
  expect(new Set(cases.map((c) => c.spec.kind))).toEqual(new Set(['float', 'decimal', 'integer', 'boolean', 'date', 'timestamp']));
  const texts = cases.flatMap((c) => c.texts);
  expect(texts).toContain('NaN-NaN-NaN NaN:NaN:NaN'.padStart(24, '0')); // beyond JavaScript's Date
  expect(texts.some((t) => /^\d{2}\/\d{2}\/\d{4}$/.test(t))).toBe(true); // a date in its column's format
  expect(texts.some((t) => /\.\d{6}$/.test(t))).toBe(true); // microseconds kept
});
