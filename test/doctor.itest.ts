// Issue 16, item 3: `pipewarden doctor` against a real MariaDB, Redis and S3 server: what it
// reports as the stack runs, then after a setting that costs safety (flush=0: warn) and one
// that breaks a guarantee (Redis evicting keys: fail, exit 1), and a MySQL that is down.
import Redis from 'ioredis';
import type { DoctorReport } from '@pipewarden/core';
import { startReconcilerService } from '@pipewarden/reconciler';
import { startTestStack, SHARED_SAMPLE, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

interface Report {
  verdict: string;
  findings: { target: string; check: string; value: string; verdict: string; meaning: string }[];
}

function doctor(): { status: number | null; report: Report; stderr: string } {
  const r = runCli(stack, ['doctor', '--json', '--source', SHARED_SAMPLE]);
  return { status: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}
const find = (r: Report, check: string) => r.findings.find((f) => f.check === check);

test('doctor on the test stack: every target answers; what it finds is what the stack runs', () => {
  const { status, report, stderr } = doctor();
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  expect([...new Set(report.findings.map((f) => f.target))]).toEqual(['mysql', 'redis', 'wal', 's3']);
  expect(find(report, 'innodb_flush_log_at_trx_commit')).toMatchObject({ value: '1', verdict: 'ok' });
  expect(find(report, 'local_infile')).toMatchObject({ value: 'ON', verdict: 'ok' });
  expect(find(report, 'privileges')?.verdict).toBe('ok');
  // The test stack's Redis has no persistence: the mirror would not survive a restart.
  expect(find(report, 'persistence')).toMatchObject({ value: 'none', verdict: 'warn' });
  expect(find(report, 'source')).toMatchObject({ verdict: 'ok' });
  expect(find(report, 'source')?.value).toContain('1 object(s)');
  expect(report.verdict).toBe('warn');
});

test('flush=0 is a warning; a Redis that evicts keys fails the check (exit 1); MySQL down is a finding, not a stack trace', async () => {
  await stack.setDurability({ flushLogAtTrxCommit: 0, redisPersistent: false });
  const r = new Redis(stack.redis.url);
  try {
    await r.config('SET', 'maxmemory', String(512 * 2 ** 20));
    await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const { status, report } = doctor();
    expect(find(report, 'innodb_flush_log_at_trx_commit')).toMatchObject({ value: '0', verdict: 'warn' });
    expect(find(report, 'maxmemory-policy')).toMatchObject({ value: 'allkeys-lru at 512 MB', verdict: 'fail' });
    expect({ status, verdict: report.verdict }).toEqual({ status: 1, verdict: 'fail' });
  } finally {
    await r.config('SET', 'maxmemory', '0');
    await r.config('SET', 'maxmemory-policy', 'noeviction');
    r.disconnect();
    await stack.setDurability({ flushLogAtTrxCommit: 1, redisPersistent: false });
  }
  await stack.mariadb.kill();
  try {
    const down = runCli(stack, ['doctor']);
    expect(down.status).toBe(1);
    expect(down.stdout).toMatch(/FAIL {2}reachable: PIPEWARDEN_MYSQL_URL\n {8}no answer: .*ECONNREFUSED/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  } finally {
    await stack.mariadb.start();
  }
});

test("the reconciler serves the same report at GET /doctor (the app's Configuration page), behind its token", async () => {
  const config = stack.config({ 'reconciler.watchdog': false, source: SHARED_SAMPLE });
  const svc = await startReconcilerService(config);
  try {
    const anonymous = await fetch(`${svc.url}/doctor`);
    expect(anonymous.status).toBe(401);
    const res = await fetch(`${svc.url}/doctor`, { headers: { authorization: `Bearer ${config.token}` } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as DoctorReport;
    expect(report.findings.find((f) => f.check === 'innodb_flush_log_at_trx_commit')).toMatchObject({ target: 'mysql', value: '1', verdict: 'ok' });
    expect(report.findings.find((f) => f.check === 'source')?.value).toContain('1 object(s)');
    expect(report.verdict).toBe('warn');
  } finally {
    await svc.close();
  }
});
