import { mkdtempSync, appendFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { WalWriter, batchId, decodeFrames, decodeTsvLine, encodeRecord, encodeTsvLine, formatChecksum, keyChecksum, listSegments, parseChecksum, readWalState, type IntentRecord } from '../src';

const intent = (id: string): IntentRecord => ({
  t: 'intent',
  id,
  src: { key: 's3://b/k.csv', etag: 'e1', firstRecord: 1, records: 10, startByte: 0, endByte: 100, firstLine: 2 },
  rows: 9,
  rejected: 1,
  check: '9:123',
  ts: 1,
});

describe('batch ids and checksums', () => {
  it('are deterministic and depend on key, ETag and first record', () => {
    expect(batchId('s3://b/k', 'e', 1)).toBe(batchId('s3://b/k', 'e', 1));
    expect(batchId('s3://b/k', 'e', 1)).toMatch(/^b[0-9a-f]{23}$/);
    const ids = new Set([batchId('s3://b/k', 'e', 1), batchId('s3://b/k', 'e2', 1), batchId('s3://b/k2', 'e', 1), batchId('s3://b/k', 'e', 5001)]);
    expect(ids.size).toBe(4);
  });
  it('checksum is order-independent and equals MySQL SUM(CRC32(key))', () => {
    const a = keyChecksum(['1283294138', '1283294151', '1283294163']);
    const b = keyChecksum(['1283294163', '1283294138', '1283294151']);
    expect(a).toEqual(b);
    expect(a.crcSum).toBe(crc32('1283294138') + crc32('1283294151') + crc32('1283294163'));
    expect(parseChecksum(formatChecksum(a))).toEqual(a);
    expect(keyChecksum(['1', '2'])).not.toEqual(keyChecksum(['1', '3']));
  });
});

describe('TSV encoding', () => {
  it('round-trips tabs, newlines, backslashes and NULL', () => {
    const values = ['123', 'a\tb', 'line1\nline2', 'back\\slash', null, 42, 'cr\r'];
    const line = encodeTsvLine(values);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1).split('\t')).toHaveLength(values.length);
    expect(decodeTsvLine(line.slice(0, -1))).toEqual(values.map((v) => (v === null ? null : String(v))));
  });
});

describe('WAL', () => {
  it('frames records with a CRC and stops at a torn tail', () => {
    const a = encodeRecord(intent('b1'));
    const b = encodeRecord({ t: 'commit', id: 'b1', inserted: 9, duplicate: 0, ts: 2 });
    const torn = Buffer.concat([a, b.subarray(0, b.length - 3)]);
    const d = decodeFrames(torn);
    expect(d.records).toHaveLength(1);
    expect(d.torn).toBe(true);
    expect(d.validBytes).toBe(a.length);
    const flipped = Buffer.concat([a, b]);
    flipped[flipped.length - 2] ^= 0xff; // corrupt payload: CRC mismatch
    expect(decodeFrames(flipped).records).toHaveLength(1);
  });

  it('derives batches in doubt across writers, truncates a torn last record on open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-wal-'));
    const w = await WalWriter.open(dir, 'loader', { fsync: 'always', segmentBytes: 1 << 20 });
    await w.append([intent('b1'), intent('b2'), intent('b3')]);
    await w.append({ t: 'commit', id: 'b1', inserted: 9, duplicate: 0, ts: 3 });
    await w.close();
    const r = await WalWriter.open(dir, 'reconciler', { fsync: 'always', segmentBytes: 1 << 20 });
    await r.append({ t: 'repair', id: 'b2', inserted: 9, run: 'r1', source: 'mirror', ts: 4 });
    await r.close();
    let st = readWalState(dir);
    expect([...st.inDoubt.keys()]).toEqual(['b3']);
    expect([...st.intents.keys()]).toEqual(['b1', 'b2', 'b3']);

    const seg = listSegments(dir).find((s) => s.writer === 'loader')!;
    const before = statSync(seg.path).size;
    appendFileSync(seg.path, encodeRecord({ t: 'commit', id: 'b3', inserted: 9, duplicate: 0, ts: 5 }).subarray(0, 7));
    st = readWalState(dir);
    expect(st.tornTails).toEqual(['loader']);
    expect([...st.inDoubt.keys()]).toEqual(['b3']); // the torn commit does not count
    const reopened = await WalWriter.open(dir, 'loader', { fsync: 'always', segmentBytes: 1 << 20 });
    expect(reopened.truncatedBytes).toBe(7);
    expect(statSync(seg.path).size).toBe(before);
    await reopened.append({ t: 'commit', id: 'b3', inserted: 9, duplicate: 0, ts: 6 });
    await reopened.close();
    expect(readWalState(dir).inDoubt.size).toBe(0);
  });

  it('rolls segments and removes those whose intents are all resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-wal-'));
    const w = await WalWriter.open(dir, 'loader', { fsync: 'never', segmentBytes: 1 << 16 });
    for (let i = 0; i < 400; i++) await w.append([intent(`b${i}`), { t: 'commit', id: `b${i}`, inserted: 1, duplicate: 0, ts: i }]);
    await w.append(intent('open'));
    const segs = listSegments(dir).length;
    expect(segs).toBeGreaterThan(1);
    const removed = w.removeResolvedSegments(readWalState(dir));
    expect(removed).toBe(segs - 1);
    expect([...readWalState(dir).inDoubt.keys()]).toEqual(['open']);
    await w.close();
  });
});
