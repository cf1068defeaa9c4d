// Issue 15 item 6, the CLI side: a one-off `load --spec FILE --table T` (the default
// layout, whatever the spec's table), `migrate --pipeline` (one table) and `migrate` (every
// pipeline's), `status --json` listing every pipeline.
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect, type Config } from '@pipewarden/core';
import { REPO_ROOT } from '@pipewarden/stack';
import { startTestStack, type TestStack } from './helpers/stack';
import { runCli } from './helpers/doubt';
import { ledgerByPipeline, pipelinesConfig } from './helpers/pipelines';

const POP = { spec: join(REPO_ROOT, 'data', 'datasets', 'world-population', 'spec.yaml'), sample: join(REPO_ROOT, 'data', 'datasets', 'world-population', 'sample.csv') };
const BIRDS = { spec: join(REPO_ROOT, 'data', 'datasets', 'faa-bird-strikes', 'spec.yaml'), sample: join(REPO_ROOT, 'data', 'datasets', 'faa-bird-strikes', 'sample.csv') };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

async function tables(config: Config): Promise<string[]> {
  const c = await connect(config);
  try {
    const [rows] = await c.query<RowDataPacket[]>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name NOT LIKE 'pipewarden%' AND table_name NOT IN ('batch_ledger', 'dead_letters', 'reconcile_runs', 'reconcile_run_batches', 'schema_migrations') ORDER BY 1");
    return rows.map((r) => String(r.t));
  } finally {
    await c.end();
  }
}

test('load --spec --table: a one-off load into a table of its own (its own pipeline state), verified with the same flags; the same object into a second table loads too', async () => {
  await stack.resetData();
  const r = runCli(stack, ['load', '--source', POP.sample, '--spec', POP.spec, '--table', 'population_copy', '--no-progress', '--json']);
  expect(r.status).toBe(0);
  const s = JSON.parse(r.stdout);
  expect([s.pipeline, s.dataset.table, s.balanced]).toEqual(['oneoff-population_copy', 'population_copy', true]);
  expect(s.rows_loaded).toBeGreaterThan(0);
  expect(await tables(stack.config())).toContain('population_copy');
  expect(Object.keys(await ledgerByPipeline(stack.config()))).toEqual(['oneoff-population_copy']);
  const v = runCli(stack, ['verify', '--source', POP.sample, '--spec', POP.spec, '--table', 'population_copy', '--json']);
  expect(v.status).toBe(0);
  expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, table: 'population_copy', pipeline: 'oneoff-population_copy' });
  // The same object into a second table: its own pipeline, so it loads (under one shared
  // layout the ledger would have said "already loaded" and the second table stayed empty).
  const again = runCli(stack, ['load', '--source', POP.sample, '--spec', POP.spec, '--table', 'population_again', '--no-progress', '--json']);
  expect(again.status).toBe(0);
  const s2 = JSON.parse(again.stdout.trim().split('\n').pop()!);
  expect([s2.pipeline, s2.this_run.rows_loaded]).toEqual(['oneoff-population_again', s.rows_loaded]);
  expect(s2.rows_loaded).toBeGreaterThan(0);
  // --spec makes a one-off load: naming a pipeline with it is refused, clearly.
  const both = runCli(stack, ['load', '--spec', POP.spec, '--pipeline', 'x', '--no-progress']);
  expect(both.status).toBe(1);
  expect(both.stderr).toContain('do not combine with --pipeline');
}, 300000);

test('migrate --pipeline creates that table only; migrate creates every pipeline\'s; status --json lists the pipelines', async () => {
  const { file, config } = pipelinesConfig(
    stack,
    [
      { name: 'pop', source: POP.sample, dataset: POP.spec },
      { name: 'birds', source: BIRDS.sample, dataset: BIRDS.spec },
    ],
    'migrate.yaml',
  );
  await stack.resetData(stack.config());
  const one = runCli(stack, ['--config', file, 'migrate', '--pipeline', 'birds']);
  expect(one.status).toBe(0);
  expect(one.stdout).toContain('created table bird_strikes');
  expect(await tables(config)).not.toContain('world_population');
  const dry = runCli(stack, ['--config', file, 'migrate', '--dry-run']);
  expect(dry.status).toBe(0);
  expect(dry.stdout).toContain('CREATE TABLE IF NOT EXISTS `world_population`');
  expect(dry.stdout).not.toContain('CREATE TABLE IF NOT EXISTS `bird_strikes`');
  const all = runCli(stack, ['--config', file, 'migrate']);
  expect(all.status).toBe(0);
  expect(all.stdout).toContain('created table world_population');
  expect(all.stdout).toContain('table bird_strikes matches');
  expect(await tables(config)).toEqual(expect.arrayContaining(['bird_strikes', 'world_population']));
  const unknown = runCli(stack, ['--config', file, 'migrate', '--pipeline', 'nope']);
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toContain('no pipeline "nope" (pipelines: pop, birds)');
  const st = runCli(stack, ['--config', file, 'status', '--dir', stack.layout.dir, '--json']);
  expect(st.status).toBe(0);
  expect(JSON.parse(st.stdout).pipelines.map((p: { name: string; table: string }) => [p.name, p.table])).toEqual([
    ['pop', 'world_population'],
    ['birds', 'bird_strikes'],
  ]);
}, 300000);
