// A full disk under the WAL, on a real 256 KB tmpfs: an append that did not fully reach
// the disk is never acknowledged, the writer refuses every later append (even once space
// is back), and reopening keeps exactly the acknowledged records.
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, WalWriter, decodeFrames, listSegments, type IntentRecord } from '../src';
import { fillDisk, mountTmpfs, unmountTmpfs } from '../../test/helpers/tmpfs';

const record = (i: number): IntentRecord => ({
  t: 'intent',
  id: `b${i}`,
  // About 1,000 bytes a frame, so frames straddle the page that runs out.
  src: { key: `s3://bucket/${'k'.repeat(900)}-${i}.csv`, etag: 'e', firstRecord: 1 + i * 10, records: 10, startByte: 0, endByte: 10, firstLine: 2 },
  rows: 10,
  rejected: 0,
  check: '10:1',
  ts: Date.now(),
});

const mnt = mkdtempSync(join(tmpdir(), 'pw-walfull-'));
const mounted = mountTmpfs(mnt, '256k', 'wal-disk-full');
const maybe = mounted ? describe : describe.skip;

afterAll(() => {
  // Lazy: a failed assertion may leave the writer's file open; the mount must go anyway.
  if (mounted) unmountTmpfs(mnt);
  rmSync(mnt, { recursive: true, force: true });
});

maybe('the WAL on a full disk', () => {
  it('never acknowledges a partly written record and refuses later appends', async () => {
    const dir = join(mnt, 'wal');
    const w = await WalWriter.open(dir, 'loader', { fsync: 'always', segmentBytes: 1 << 20 });
    const filler = fillDisk(mnt, 8192);

    const acknowledged: string[] = [];
    let failure: unknown;
    for (let i = 0; i < 100 && failure === undefined; i++) {
      const r = record(i);
      await w.append(r).then(
        () => acknowledged.push(r.id),
        (e: unknown) => (failure = e),
      );
    }
    expect(acknowledged.length).toBeGreaterThan(3);
    expect(failure).toBeInstanceOf(UserError);
    expect((failure as Error).message).toContain(dir);
    expect((failure as Error).message).toMatch(/no space left on device/);

    // Space is back, but the writer stays failed: nothing may land after a failed append.
    unlinkSync(filler);
    await expect(w.append(record(1000))).rejects.toThrow(/no space left on device/);
    await w.close();

    const segs = listSegments(dir);
    const decoded = segs.map((s) => decodeFrames(readFileSync(s.path)));
    expect(decoded.every((d) => !d.torn)).toBe(true); // cut back to the last good record
    const reopened = await WalWriter.open(dir, 'loader', { fsync: 'always', segmentBytes: 1 << 20 });
    expect(reopened.truncatedBytes).toBe(0);
    await reopened.close();
    const ids = listSegments(dir).flatMap((s) => decodeFrames(readFileSync(s.path)).records.map((r) => (r as IntentRecord).id));
    expect(ids).toEqual(acknowledged);
  });
});
