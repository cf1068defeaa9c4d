// A batch's rows in key order: the same rows, integer keys by value, a repeated key's first
// occurrence still first, and an already ordered batch left as it is.
import { tsvInKeyOrder } from '../src/batch-order';

const rows = (keys: string[]) => Buffer.from(keys.map((k, i) => `${k}\tv${i}\n`).join(''));
const lines = (b: Buffer) => b.toString().trimEnd().split('\n');

test('integer keys by value, not as text; negative ones first', () => {
  const keys = ['100', '9', '-5', '12', '-40', '0'];
  expect(lines(tsvInKeyOrder(rows(keys), keys, true))).toEqual(['-40\tv4', '-5\tv2', '0\tv5', '9\tv1', '12\tv3', '100\tv0']);
});

test('a repeated key keeps its first occurrence first (stable)', () => {
  const keys = ['7', '3', '7', '3', '1'];
  expect(lines(tsvInKeyOrder(rows(keys), keys, true))).toEqual(['1\tv4', '3\tv1', '3\tv3', '7\tv0', '7\tv2']);
});

test('text and composite keys by text', () => {
  const keys = ['b\t2', 'a\t10', 'a\t2'];
  expect(lines(tsvInKeyOrder(rows(keys), keys, false)).map((l) => l.split('\t').pop())).toEqual(['v1', 'v2', 'v0']);
});

test('an ordered batch is returned as it is; rows and keys that disagree are an error', () => {
  const keys = ['1', '2', '3'];
  const b = rows(keys);
  expect(tsvInKeyOrder(b, keys, true)).toBe(b);
  expect(() => tsvInKeyOrder(rows(['2', '1']), ['2', '1', '0'], true)).toThrow(/3 keys, 2 rows/);
  // More rows than keys: before, the extra rows' bytes came back as zeros.
  expect(() => tsvInKeyOrder(rows(['2', '1', '0']), ['2', '1'], true)).toThrow(/2 keys, more rows/);
});
