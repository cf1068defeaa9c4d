// The generator's key orders: each a bijection of [0, n); source-like with the shape measured
// on the real NYC export (ascending steps, runs of about 300 rows, consecutive keys in books),
// shuffled with a new region of the key space at every row.
import { keySequence, KEY_ORDERS } from '@pipewarden/loader';

function shape(order: (typeof KEY_ORDERS)[number], n: number, seed = 7) {
  const at = keySequence(order, n, seed);
  const seen = new Uint8Array(n);
  let ascending = 0;
  let runs = 1;
  let unitSteps = 0;
  let prev = at(0);
  seen[prev] = 1;
  for (let i = 1; i < n; i++) {
    const k = at(i);
    expect(k >= 0 && k < n && seen[k] === 0).toBe(true);
    seen[k] = 1;
    if (k > prev) ascending++;
    else runs++;
    if (k === prev + 1) unitSteps++;
    prev = k;
  }
  return { all: seen.every((x) => x === 1), ascending: ascending / (n - 1), meanRun: n / runs, unitSteps: unitSteps / (n - 1) };
}

test.each([1, 2, 29, 5000, 123457])('source-like is a bijection of [0, %i)', (n) => {
  expect(shape('source-like', n).all).toBe(true);
});

test('source-like looks like the real export: >99% ascending steps, runs of 200–500 rows, most steps to the next key', () => {
  const s = shape('source-like', 200000);
  expect(s.ascending).toBeGreaterThan(0.99);
  expect(s.meanRun).toBeGreaterThan(200);
  expect(s.meanRun).toBeLessThan(500);
  expect(s.unitSteps).toBeGreaterThan(0.85);
});

test.each([7919, 7919 * 3])('shuffled is a bijection of [0, %i) too (a size the stride divides)', (n) => {
  expect(shape('shuffled', n).all).toBe(true);
});

test('shuffled jumps: no step goes to the next key', () => {
  const s = shape('shuffled', 200000);
  expect(s.all).toBe(true);
  expect(s.unitSteps).toBe(0);
});

test('the order depends on the seed, and is the same for the same seed', () => {
  const a = keySequence('source-like', 10000, 1);
  const b = keySequence('source-like', 10000, 1);
  const c = keySequence('source-like', 10000, 2);
  const first = (f: (i: number) => number) => Array.from({ length: 50 }, (_, i) => f(i));
  expect(first(a)).toEqual(first(b));
  expect(first(a)).not.toEqual(first(c));
});
