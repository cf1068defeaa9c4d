// The order in which the generator hands out a dataset's distinct keys: which key (an index
// in [0, n), each exactly once) row i gets. The order decides what a load costs far more than
// the data does: InnoDB inserts in key order touch one leaf page after another, in random
// order one page per row (1M typed rows by LOAD DATA: 12.3 s in key order, 33.6 s shuffled).
//
// `source-like` is the order of the real NYC export. Measured on its first 4,999 rows: 99.5%
// of steps go up, in 24 increasing runs of 1–567 rows (median 226) that each sweep a wide key
// range, with a median step of 24 summons numbers (tickets of one book, nearly consecutive):
// the file is blocks of books of consecutive numbers, the books of a block in increasing order.
// So: [0, n) is cut into books of 1–30 consecutive keys, the books are shuffled, and each run
// of 1–40 books (about 300 rows) is put back in increasing order.
//
// `shuffled` is the stride permutation i·7919 + 12345 mod n (7907 when 7919 divides n): increasing runs of n/7919 rows
// whose steps are 7919 keys apart, a different leaf page for every row, as random for InnoDB
// as a uniform permutation (the generator's only order before issue 16).
import { prng } from './prng';

export const KEY_ORDERS = ['source-like', 'shuffled'] as const;
export type KeyOrder = (typeof KEY_ORDERS)[number];

/** Row i's key index: a bijection of [0, n). */
export type KeySequence = (i: number) => number;

function shuffled(n: number): KeySequence {
  // i → i·p + c mod n is a permutation of [0, n) when the prime p does not divide n.
  const p = n % 7919 === 0 ? 7907 : 7919;
  return (i) => (i * p + 12345) % n;
}

function sourceLike(n: number, seed: number): KeySequence {
  const rnd = prng(seed);
  const starts: number[] = [];
  for (let k = 0; k < n; k += 1 + Math.floor(rnd() * 30)) starts.push(k);
  const books = Int32Array.from(starts.keys());
  for (let b = books.length - 1; b > 0; b--) {
    const j = Math.floor(rnd() * (b + 1));
    [books[b], books[j]] = [books[j], books[b]];
  }
  for (let r = 0; r < books.length; ) {
    const end = Math.min(books.length, r + 1 + Math.floor(rnd() * 40));
    books.subarray(r, end).sort();
    r = end;
  }
  // rowStart[b]: the first row of the b-th book handed out.
  const rowStart = new Int32Array(books.length + 1);
  const length = (book: number) => (book + 1 < starts.length ? starts[book + 1] : n) - starts[book];
  for (let b = 0; b < books.length; b++) rowStart[b + 1] = rowStart[b] + length(books[b]);
  return (i) => {
    let lo = 0;
    let hi = books.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (rowStart[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return starts[books[lo]] + (i - rowStart[lo]);
  };
}

/** The key sequence of `order` over n keys; `seed` draws the source-like order's books and runs. */
export function keySequence(order: KeyOrder, n: number, seed: number): KeySequence {
  return order === 'shuffled' ? shuffled(n) : sourceLike(n, seed);
}
