// Resolved WAL segments stay while they hold records newer than the retention window: a
// MySQL with relaxed durability can lose its last acknowledged commits in a host crash,
// and the reconciler checks the WAL's commits against the ledger afterwards.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalWriter, decodeFrames, listSegments, loadConfig, readWalState, type WalRecord } from '../src';

const HOUR = 3600_000;

function batch(i: number, ts: number): WalRecord[] {
  const src = { key: 's3://b/k.csv', etag: 'e', firstRecord: 1 + i * 10, records: 10, startByte: 0, endByte: 10, firstLine: 2 };
  return [
    { t: 'intent', id: `b${i}`, src, rows: 10, rejected: 0, check: '10:1', ts },
    { t: 'commit', id: `b${i}`, inserted: 10, duplicate: 0, ts },
  ];
}

async function writeSegments(dir: string, now: number, retentionSeconds: number): Promise<WalWriter> {
  const w = await WalWriter.open(dir, 'loader', { fsync: 'never', segmentBytes: 1 << 16, retentionSeconds });
  // About 300 batches an old hour ago, then 300 within the last minute.
  for (let i = 0; i < 300; i++) await w.append(batch(i, now - HOUR));
  for (let i = 300; i < 600; i++) await w.append(batch(i, now - 30_000));
  return w;
}

describe('WAL retention', () => {
  it('keeps resolved segments with records inside the window and removes older ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-walret-'));
    const now = Date.now();
    const w = await writeSegments(dir, now, 600);
    const before = listSegments(dir);
    expect(before.length).toBeGreaterThanOrEqual(3);
    const removed = w.removeResolvedSegments(readWalState(dir), now);
    await w.close();
    expect(removed).toBeGreaterThan(0);
    // Every commit of the last ten minutes is still in the log.
    const commits = new Set(listSegments(dir).flatMap((s) => decodeFrames(readFileSync(s.path)).records.filter((r) => r.t === 'commit').map((r) => (r as { id: string }).id)));
    for (let i = 300; i < 600; i++) expect(commits.has(`b${i}`)).toBe(true);
    expect(commits.has('b0')).toBe(false);
    const left = listSegments(dir);
    expect(left.length).toBe(before.length - removed);
    expect(left.length).toBeGreaterThan(1);
  });

  it('removes every closed resolved segment once the window has passed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-walret-'));
    const now = Date.now();
    const w = await writeSegments(dir, now, 600);
    const segs = listSegments(dir).length;
    expect(w.removeResolvedSegments(readWalState(dir), now + HOUR)).toBe(segs - 1);
    await w.close();
  });

  it('is configured by PIPEWARDEN_WAL_RETENTION_SECONDS (default 600)', () => {
    const env = { PIPEWARDEN_MYSQL_URL: 'mysql://root@127.0.0.1:3306/pw' };
    expect(loadConfig({ env, useStackEnv: false }).wal.retentionSeconds).toBe(600);
    expect(loadConfig({ env: { ...env, PIPEWARDEN_WAL_RETENTION_SECONDS: '0' }, useStackEnv: false }).wal.retentionSeconds).toBe(0);
  });
});
