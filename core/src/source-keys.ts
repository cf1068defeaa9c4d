// How a source's objects are named and ordered, for every reader of a source (the loader's
// sources, the exporter's pending counts): one order and one set of file names.

/**
 * Keys in listing order: by their UTF-8 bytes, the order S3 lists them in (JavaScript's
 * string order differs for characters beyond U+FFFF), so a window that starts after a key
 * misses none and repeats none.
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Keys sorted in listing order, each key's bytes made once (a folder can hold many). */
export function sortKeys(keys: readonly string[]): string[] {
  return keys
    .map((k) => ({ k, b: Buffer.from(k) }))
    .sort((x, y) => Buffer.compare(x.b, y.b))
    .map((x) => x.k);
}

/** Files a folder source loads: CSV and text, plain or compressed, and Parquet. */
export const SOURCE_FILE_NAME = /\.((csv|txt)(\.(gz|gzip|zst|zstd|bz2))?|parquet|pq)$/i;
