// Batch identity and integrity. A batch is a fixed run of input records of one source
// object; its id depends only on (object key, ETag, first record ordinal), so a replay
// of the same input produces the same ids and the ledger can recognise it.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export function batchId(sourceKey: string, etag: string, firstRecord: number): string {
  const h = createHash('sha256').update(`${sourceKey}\0${etag}\0${firstRecord}`).digest('hex');
  return `b${h.slice(0, 23)}`;
}

/**
 * Order-independent checksum of a set of keys: count and the sum of CRC32 of each key's
 * decimal text. MySQL can compute the same figure server-side
 * (`SELECT COUNT(*), SUM(CRC32(summons_number)) … WHERE summons_number IN (…)`), so the
 * reconciler verifies a batch without pulling it back.
 */
export interface KeyChecksum {
  count: number;
  crcSum: number;
}

export function keyChecksum(keys: Iterable<string>): KeyChecksum {
  let count = 0;
  let crcSum = 0;
  for (const k of keys) {
    count++;
    crcSum += crc32(k);
  }
  return { count, crcSum };
}

export function formatChecksum(c: KeyChecksum): string {
  return `${c.count}:${c.crcSum}`;
}

export function parseChecksum(s: string): KeyChecksum {
  const m = /^(\d+):(\d+)$/.exec(s);
  if (!m) throw new Error(`malformed key checksum "${s}"`);
  return { count: Number(m[1]), crcSum: Number(m[2]) };
}
