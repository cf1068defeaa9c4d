// A batch's rows in primary-key order for the MySQL write. InnoDB inserts rows that arrive in
// key order one after another into the same leaf page (it notices the direction and splits
// pages at the end, not in the middle); the same rows in source order jump between pages.
// Only the order changes: a key repeated within the batch keeps its first occurrence first
// (the sort is stable), which is what LOAD DATA … IGNORE and INSERT IGNORE keep. Under
// `duplicates: last` a row's position is its place in the batch, so that policy is not sorted.

/** Order of two key texts as MySQL orders the key: integers by value, anything else by text. */
function compareKeys(numeric: boolean): (a: string, b: string) => number {
  if (!numeric) return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (a, b) => {
    const na = a.startsWith('-');
    const nb = b.startsWith('-');
    if (na !== nb) return na ? -1 : 1;
    // Same sign: the longer magnitude is the larger (canonical digits, no leading zeros).
    const byLength = a.length - b.length;
    const magnitude = byLength !== 0 ? byLength : a < b ? -1 : a > b ? 1 : 0;
    return na ? -magnitude : magnitude;
  };
}

/**
 * `tsv` (rows ending with \n, one per key in `keys`, in order) with its rows sorted by key;
 * the same buffer when it already is in order.
 */
export function tsvInKeyOrder(tsv: Buffer, keys: readonly string[], numeric: boolean): Buffer {
  const cmp = compareKeys(numeric);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = cmp(keys[i - 1], keys[i]) <= 0;
  if (sorted) return tsv;
  // Row bounds, the permutation and the copy use no object per row: at 5,000 rows a batch a
  // Buffer view per row was the loader's second largest allocation.
  const starts = new Int32Array(keys.length + 1);
  for (let i = 0, at = 0; i < keys.length; i++) {
    at = tsv.indexOf(10, at) + 1;
    if (at === 0) throw new Error(`batch rows and keys disagree: ${keys.length} keys, ${i} rows`);
    starts[i + 1] = at;
  }
  if (starts[keys.length] !== tsv.length) throw new Error(`batch rows and keys disagree: ${keys.length} keys, more rows`);
  const order = new Array<number>(keys.length);
  for (let i = 0; i < keys.length; i++) order[i] = i;
  order.sort((x, y) => cmp(keys[x], keys[y]) || x - y);
  const out = Buffer.allocUnsafe(tsv.length);
  let at = 0;
  for (const i of order) at += tsv.copy(out, at, starts[i], starts[i + 1]);
  return out;
}
