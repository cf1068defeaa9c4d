// The source position of a row under the duplicate policy `last` (the hidden column
// _pw_pos): which occurrence of a key is the later one.
//
// "Last" means last in source order: objects in the order of their keys (the order every
// source lists them and the loader reads them in one pass; the reconciler repairs in it
// too), then records in file order. The position is (object key, batch's first record,
// row index in the batch's kept rows), encoded so that comparing the bytes (VARBINARY)
// compares the triple:
//   UTF-16BE of the object key | 0x0000 | first record as u64 BE | row index as u32 BE
// UTF-16BE compares like JavaScript's `<` on strings (code units), the order the sources
// sort objects in; the 0x0000 terminator makes a key sort before its extensions ("a" <
// "ab"). Batches of one object cover disjoint record ranges, so (first record, index)
// grows along the file.
//
// Deterministic: a position depends only on the batch (its object key and first record,
// fixed by the batch id) and the row's place in it (a batch always yields the same rows,
// proven by its key checksum), never on when or by whom the batch was written. So the
// upsert keeps the occurrence with the greatest position whatever order batches commit
// in: batches in flight, a replay, or the reconciler repairing a lost early batch after
// later ones committed (its rows lose to the later ones already there). A table loaded in
// any order equals the table loaded in one pass.
//
// Across objects: an object listed later (by key) wins over one listed earlier, even when
// it was loaded first (an object added under a smaller key later loses to a larger key's
// rows already in the table). A replaced object (same key, new ETag) has the same
// positions as its earlier version, so its rows do not replace that version's rows.
import { UserError } from '../errors';

/** Bytes available in the column (schema.ts: VARBINARY(3072)) for the object key's part. */
const MAX_KEY_BYTES = 3072 - 2 - 8 - 4;

/** The position prefix of one batch: every row adds its 4-byte index. */
export function batchPosition(objectKey: string, firstRecord: number): Buffer {
  const key = Buffer.from(objectKey, 'utf16le').swap16(); // UTF-16BE
  if (key.length > MAX_KEY_BYTES) throw new UserError(`object key ${objectKey.slice(0, 80)}… is too long for the duplicate policy last (at most ${MAX_KEY_BYTES / 2} UTF-16 units)`);
  const out = Buffer.alloc(key.length + 2 + 8);
  key.copy(out, 0);
  out.writeBigUInt64BE(BigInt(firstRecord), key.length + 2);
  return out;
}

/** The position of the index-th kept row of a batch. */
export function rowPosition(prefix: Buffer, index: number): Buffer {
  const out = Buffer.alloc(prefix.length + 4);
  prefix.copy(out, 0);
  out.writeUInt32BE(index, prefix.length);
  return out;
}
