// bounds_vectors.json is what test_bounds.py holds the Spark job's splitter to: it must be
// what the inline splitter cuts today (regenerate: npx tsx loader/test/spark-job/bounds_vectors.ts),
// and every vector must cut the same with 64 KB chunks as byte by byte.
import { readFileSync } from 'node:fs';
import { VECTORS_PATH, vectors, type Vector } from './spark-job/bounds_vectors';

test('the committed bounds vectors are what the inline splitter cuts now', () => {
  const committed = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as Vector[];
  expect(vectors()).toEqual(committed);
});

test('every bounds vector cuts the same with 64 KB chunks', () => {
  expect(vectors().filter((v) => !v.sameWith64kChunks).map((v) => v.name)).toEqual([]);
});
