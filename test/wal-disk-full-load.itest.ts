// A load whose WAL folder fills up (a real 64 KB tmpfs): the load stops with a clear error
// (no space left on device), every batch the WAL acknowledged is in MySQL, the log ends in a
// whole record, and once there is space again a new load finishes with table = source.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, decodeFrames, listSegments, WalWriter, type Config } from '@pipewarden/core';
import { generate, runLoad, verifyTable } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';
import { mountTmpfs, unmountTmpfs } from './helpers/tmpfs';

// Mounted before the tests are declared, so a machine that cannot mount skips (not passes).
const mnt = mkdtempSync(join(tmpdir(), 'pw-walfull-load-'));
const mounted = mountTmpfs(mnt, '64k', 'wal-disk-full-load');
const maybe = mounted ? test : test.skip;

let stack: TestStack;
beforeAll(async () => {
  if (mounted) stack = await startTestStack({ services: ['mariadb', 'redis'] });
});
afterAll(async () => {
  if (mounted) unmountTmpfs(mnt);
  rmSync(mnt, { recursive: true, force: true });
  await stack?.cleanup();
});

maybe('a full WAL disk stops the load loudly and loses no acknowledged batch', async () => {
  const file = join(stack.layout.dir, 'rows.csv');
  await generate(file, { rows: 20000, seed: 21, badShare: 0.01 });
  const walDir = join(mnt, 'wal');
  const config: Config = stack.config({ source: file, 'wal.dir': walDir, 'batch.size': 50 });

  const failure = await runLoad(config).then(
    () => undefined,
    (e: unknown) => e,
  );
  // The WAL append or the checkpoint beside it (whichever writes first) reports the full disk.
  expect((failure as Error | undefined)?.message).toMatch(/no space left on device/);

  // Every commit the WAL holds is a batch in the ledger; the log ends in a whole record.
  const segs = listSegments(walDir).filter((s) => s.writer === 'loader');
  const decoded = segs.map((s) => decodeFrames(readFileSync(s.path)));
  expect(decoded.every((d) => !d.torn)).toBe(true);
  const committed = decoded.flatMap((d) => d.records.filter((r) => r.t === 'commit').map((r) => r.id));
  expect(committed.length).toBeGreaterThan(0);
  const db = await connect(config);
  try {
    const [rows] = await db.query<import('mysql2').RowDataPacket[]>('SELECT batch_id FROM batch_ledger WHERE batch_id IN (?)', [committed]);
    expect(rows.length).toBe(committed.length);
  } finally {
    await db.end();
  }

  // Space again: the next load resumes and the table equals the source.
  execFileSync('mount', ['-o', 'remount,size=16m', mnt]);
  const reopened = await WalWriter.open(walDir, 'loader', { fsync: 'batch', segmentBytes: 1 << 20 });
  expect(reopened.truncatedBytes).toBe(0);
  await reopened.close();
  await runLoad(config);
  expect((await verifyTable(config, file)).ok).toBe(true);
});
