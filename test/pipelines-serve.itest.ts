// Issue 15 item 6: several pipelines in one deployment. One `loader serve` runs two
// pipelines (the NYC sample into `violations`, the world-population fixture into its own
// table) at once: both finish and verify, the ledger and dead letters carry the right
// pipeline, each pipeline has its own WAL folder, the control API pauses and resumes one
// pipeline or all, /metrics labels the series by pipeline. The same object loaded by two
// pipelines into two tables makes two sets of batches and two complete tables. A serve
// process killed mid-load (both pipelines in flight), a reconcile over every pipeline and
// a restart leave both verified.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, pipelineConfig, pipelineWalDir, type Config, type LoaderStatus } from '@pipewarden/core';
import { startLoaderService, verifyTable } from '@pipewarden/loader';
import { reconcile } from '@pipewarden/reconciler';
import { REPO_ROOT } from '@pipewarden/stack';
import { startTestStack, type TestStack } from './helpers/stack';
import { CLI, runCli, runCliAsync } from './helpers/doubt';
import { deadLettersByPipeline, ledgerByPipeline, pipelinesConfig } from './helpers/pipelines';
import { waitFor } from './helpers/wait';

const NYC_SAMPLE = join(REPO_ROOT, 'data', 'nyc-parking-fy2014-sample.csv');
const fixture = (name: string) => ({ spec: join(REPO_ROOT, 'data', 'datasets', name, 'spec.yaml'), sample: join(REPO_ROOT, 'data', 'datasets', name, 'sample.csv') });
const POP = fixture('world-population');
const COMPLAINTS = fixture('nyc-311-animal-complaints');

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

/** Every pipeline verified against its own source and table. */
async function verifyAll(config: Config, names: string[]): Promise<Record<string, { ok: boolean; table: string; lost: number; duplicated: number }>> {
  const out: Record<string, { ok: boolean; table: string; lost: number; duplicated: number }> = {};
  for (const name of names) {
    const pc = pipelineConfig(config, name);
    const v = await verifyTable(pc, pc.source!);
    out[name] = { ok: v.ok, table: v.table, lost: v.lost, duplicated: v.duplicated };
  }
  return out;
}

async function control(url: string, config: Config, path: string, body?: unknown): Promise<{ status: number; json: LoaderStatus & { error?: string } }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as LoaderStatus & { error?: string } };
}

test('one loader serve loads two pipelines at once; each is verified, its ledger rows and WAL its own; pause/resume per pipeline', async () => {
  const { config, file } = pipelinesConfig(stack, [
    { name: 'nyc', source: NYC_SAMPLE, dataset: 'builtin:nyc-parking-violations', batch: { size: 400 } },
    { name: 'pop', source: POP.sample, dataset: POP.spec, batch: { size: 150 } },
  ]);
  await stack.resetData(config);
  const m = await migrate(config);
  expect(m.datasets.map((d) => [d.pipeline, d.table])).toEqual([
    ['nyc', 'violations'],
    ['pop', 'world_population'],
  ]);

  const svc = await startLoaderService(config, { watchSeconds: 0 });
  try {
    const st = await waitFor('both pipelines to finish', () => {
      const s = svc.service.status();
      return s.pipelines?.every((p) => p.state === 'finished') ? s : undefined;
    }, 180000);
    expect(st.state).toBe('finished');
    expect(st.pipelines!.map((p) => [p.name, p.table])).toEqual([
      ['nyc', 'violations'],
      ['pop', 'world_population'],
    ]);
    // The top level sums the pipelines.
    expect(st.rowsIn).toBe(st.pipelines!.reduce((a, p) => a + p.rowsIn, 0));
    expect(st.pipelines!.every((p) => p.rowsLoaded > 0)).toBe(true);

    const nycSummary = svc.service.summaryOf('nyc')!;
    const popSummary = svc.service.summaryOf('pop')!;
    expect([nycSummary.pipeline, popSummary.pipeline]).toEqual(['nyc', 'pop']);

    // The ledger: each pipeline's batches hold exactly its source's records.
    const ledger = await ledgerByPipeline(config);
    expect(Object.keys(ledger).sort()).toEqual(['nyc', 'pop']);
    expect(ledger.nyc.records).toBe(nycSummary.rows_in);
    expect(ledger.pop.records).toBe(popSummary.rows_in);
    expect(ledger.nyc.rejected).toBe(nycSummary.rows_rejected);
    const dead = await deadLettersByPipeline(config);
    expect(dead.nyc ?? 0).toBe(nycSummary.rows_rejected);
    expect(dead.pop ?? 0).toBe(popSummary.rows_rejected);

    expect(await verifyAll(config, ['nyc', 'pop'])).toEqual({
      nyc: { ok: true, table: 'violations', lost: 0, duplicated: 0 },
      pop: { ok: true, table: 'world_population', lost: 0, duplicated: 0 },
    });

    // `pipewarden status` shows each pipeline's state from the service; a refused token is said, not hidden.
    // Not spawnSync: the service answers from this process.
    const status = (token: string) => runCliAsync(stack, ['--config', file, 'status', '--dir', stack.layout.dir, '--json'], { PIPEWARDEN_LOADER_URL: svc.url, PIPEWARDEN_TOKEN: token });
    const good = await status(config.token!);
    expect(good.status).toBe(0);
    const goodJson = JSON.parse(good.stdout) as { pipelines: { name: string; state?: string }[]; loaderStatusError?: string };
    expect(goodJson.pipelines.map((p) => [p.name, p.state])).toEqual([
      ['nyc', 'finished'],
      ['pop', 'finished'],
    ]);
    expect(goodJson.loaderStatusError).toBeUndefined();
    const bad = await status('not-the-token-of-this-loader');
    expect({ status: bad.status, stderr: bad.stderr }).toEqual({ status: 0, stderr: '' });
    const refused = JSON.parse(bad.stdout) as typeof goodJson;
    expect(refused.pipelines.every((p) => p.state === undefined)).toBe(true);
    expect(refused.loaderStatusError).toContain('HTTP 401');

    // Separate WAL folders, each with its own segments and checkpoint.
    const walNyc = pipelineWalDir(config.wal.dir, 'nyc');
    const walPop = pipelineWalDir(config.wal.dir, 'pop');
    for (const dir of [walNyc, walPop]) expect(readdirSync(dir).some((f) => f.endsWith('.wal'))).toBe(true);
    expect(existsSync(join(config.wal.dir, 'loader.lock'))).toBe(false);

    // /metrics: the loader's series per pipeline.
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`pipewarden_loader_rows_in_total\\{pipeline="nyc"\\} ${nycSummary.this_run.rows_in}\\b`));
    expect(metrics).toMatch(new RegExp(`pipewarden_loader_rows_in_total\\{pipeline="pop"\\} ${popSummary.this_run.rows_in}\\b`));
    expect(metrics).toContain('pipewarden_loader_service_state{pipeline="pop",state="finished"} 1');

    // Control: an unknown pipeline is a 404 naming the real ones; one pipeline pauses alone.
    const unknown = await control(svc.url, config, '/pause?pipeline=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toContain('nyc, pop');
    const paused = await control(svc.url, config, '/pause', { pipeline: 'nyc' });
    expect(paused.status).toBe(200);
    expect(paused.json.pipelines!.map((p) => [p.name, p.state, p.pausedBy?.by])).toEqual([
      ['nyc', 'paused', 'operator'],
      ['pop', 'finished', undefined],
    ]);
    // Not every pipeline is paused: the service as a whole is paused (the most urgent state) but names no pauser.
    expect(paused.json.state).toBe('paused');
    expect(paused.json.pausedBy).toBeUndefined();
    const resumed = await control(svc.url, config, '/resume?pipeline=nyc');
    expect(resumed.status).toBe(200);
    expect(resumed.json.pipelines!.find((p) => p.name === 'nyc')!.pausedBy).toBeUndefined();
    await waitFor('nyc to finish again', () => svc.service.status().pipelines!.every((p) => p.state === 'finished'), 60000);
    // A second pass over a loaded source writes nothing.
    expect((await ledgerByPipeline(config)).nyc.batches).toBe(ledger.nyc.batches);
    const all = await control(svc.url, config, '/pause', { by: 'reconcile', runId: 'r1' });
    expect(all.json.pipelines!.every((p) => p.state === 'paused' && p.pausedBy?.by === 'reconcile')).toBe(true);
    expect(all.json.pausedBy?.runId).toBe('r1');
    const pausedMetrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(pausedMetrics).toContain('pipewarden_loader_paused_by_reconcile{pipeline="nyc"} 1');
    expect(pausedMetrics).toContain('pipewarden_loader_paused_by_reconcile{pipeline="pop"} 1');
    const restarted = await control(svc.url, config, '/restart');
    expect(restarted.status).toBe(200);
    await waitFor('both to finish after the restart', () => svc.service.status().state === 'finished', 60000);
    const restartedMetrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(restartedMetrics).toContain('pipewarden_loader_paused_by_reconcile{pipeline="nyc"} 0');
    expect(restartedMetrics).toContain('pipewarden_loader_paused_by_reconcile{pipeline="pop"} 0');
  } finally {
    await svc.close();
  }
}, 300000);

test('the same object loaded by two pipelines into two tables: two sets of batch ids, both tables complete (CLI)', async () => {
  const { file, config } = pipelinesConfig(
    stack,
    [
      { name: 'first', source: NYC_SAMPLE, dataset: 'builtin:nyc-parking-violations', table: 'violations_a', batch: { size: 500 } },
      { name: 'second', source: NYC_SAMPLE, dataset: 'builtin:nyc-parking-violations', table: 'violations_b', batch: { size: 500 } },
    ],
    'same-object.yaml',
  );
  await stack.resetData(config);
  const listed = runCli(stack, ['--config', file, 'pipelines', '--json']);
  expect(listed.status).toBe(0);
  expect(JSON.parse(listed.stdout).map((p: { name: string; table: string; wal: string }) => [p.name, p.table, p.wal])).toEqual([
    ['first', 'violations_a', pipelineWalDir(config.wal.dir, 'first')],
    ['second', 'violations_b', pipelineWalDir(config.wal.dir, 'second')],
  ]);
  // No pipeline named: the CLI names the ones there are.
  const unnamed = runCli(stack, ['--config', file, 'load', '--no-progress']);
  expect(unnamed.status).toBe(1);
  expect(unnamed.stderr).toContain('no pipeline "default" (pipelines: first, second)');

  const a = runCli(stack, ['--config', file, 'load', '--pipeline', 'first', '--no-progress', '--json']);
  expect(a.status).toBe(0);
  const b = runCli(stack, ['--config', file, 'load', '--pipeline', 'second', '--no-progress', '--json']);
  expect(b.status).toBe(0);
  const [sa, sb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
  expect([sa.pipeline, sa.dataset.table, sb.pipeline, sb.dataset.table]).toEqual(['first', 'violations_a', 'second', 'violations_b']);
  expect(sb.rows_loaded).toBe(sa.rows_loaded);
  // The second pipeline wrote its batches: none was taken for the first one's.
  expect(sb.this_run.batches_committed).toBe(sa.this_run.batches_committed);
  expect(sb.this_run.batches_skipped).toBe(0);

  const ledger = await ledgerByPipeline(config);
  expect(ledger.first.batches).toBe(ledger.second.batches);
  expect(ledger.first.records).toBe(ledger.second.records);
  expect(ledger.first.ids.filter((id) => ledger.second.ids.includes(id))).toEqual([]);

  const v = runCli(stack, ['--config', file, 'verify', '--json']);
  expect(v.status).toBe(0);
  const reports = JSON.parse(v.stdout) as { pipeline: string; table: string; ok: boolean; deadLetters: number; sourceRejected: number }[];
  expect(reports.map((r) => [r.pipeline, r.table, r.ok])).toEqual([
    ['first', 'violations_a', true],
    ['second', 'violations_b', true],
  ]);
  // Each counts its own dead letters, not the other pipeline's of the same object.
  expect(reports.every((r) => r.deadLetters === r.sourceRejected)).toBe(true);
  const one = runCli(stack, ['--config', file, 'verify', '--pipeline', 'second', '--json']);
  expect(one.status).toBe(0);
  expect(JSON.parse(one.stdout).table).toBe('violations_b');
}, 300000);

test('a serve process killed mid-load with two pipelines in flight: reconcile every pipeline, restart, both verified', async () => {
  const { file, config } = pipelinesConfig(
    stack,
    [
      { name: 'nyc', source: NYC_SAMPLE, dataset: 'builtin:nyc-parking-violations', batch: { size: 200, pipelineDepth: 2 } },
      { name: 'complaints', source: COMPLAINTS.sample, dataset: COMPLAINTS.spec, batch: { size: 100, pipelineDepth: 2 } },
    ],
    'crash.yaml',
  );
  await stack.resetData(config);
  // The fault kills the whole process at the 6th batch of whichever pipeline gets there first.
  const child = spawn(process.execPath, [CLI, '--config', file, 'loader', 'serve'], {
    env: { ...process.env, ...stack.env, PIPEWARDEN_FAULT: 'before-commit:6', PIPEWARDEN_LOG_LEVEL: 'warn' },
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  expect({ signal: exit.signal, stderr: stderr.includes('fault injection before-commit:6') }).toEqual({ signal: 'SIGKILL', stderr: true });
  const before = await ledgerByPipeline(config);
  // Both were loading, neither had finished.
  expect(Object.keys(before).sort()).toEqual(['complaints', 'nyc']);

  const report = await reconcile(config, { trigger: 'cli', restartLoader: false });
  expect(report.pipeline).toBeNull();
  expect(report.pipelines!.map((r) => r.pipeline).sort()).toEqual(['complaints', 'nyc']);
  expect(report.pipelines!.every((r) => r.outcome === 'success' || r.outcome === 'nothing_to_do')).toBe(true);

  const svc = await startLoaderService(config, { watchSeconds: 0 });
  try {
    await waitFor('both pipelines to finish after the restart', () => svc.service.status().pipelines!.every((p) => p.state === 'finished'), 180000);
  } finally {
    await svc.close();
  }
  expect(await verifyAll(config, ['nyc', 'complaints'])).toEqual({
    nyc: { ok: true, table: 'violations', lost: 0, duplicated: 0 },
    complaints: { ok: true, table: 'nyc_311_requests', lost: 0, duplicated: 0 },
  });
}, 400000);
