// The reconciler and a real loader service running two pipelines: a reconcile of one
// pipeline pauses, holds and restarts that pipeline only. A run that fails after pausing
// (MySQL down) leaves that pipeline paused with the reason, and the other one not paused;
// the next successful run of that pipeline restarts it. Real MariaDB, Redis, loader service.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sleep } from '@pipewarden/stack';
import { fetchJson, loadConfig, migrate, type Config, type Logger, type LoaderStatus } from '@pipewarden/core';
import { startLoaderService } from '@pipewarden/loader';
import { reconcile } from '@pipewarden/reconciler';
import { SHARED_SAMPLE, startTestStack, type TestStack } from './helpers/stack';

const POPULATION = join(REPO_ROOT, 'data', 'datasets', 'world-population');

describe('reconcile of one pipeline and the loader service', () => {
  let stack: TestStack;
  let config: Config;
  let loader: Awaited<ReturnType<typeof startLoaderService>>;
  const status = () => fetchJson<LoaderStatus>(`${loader.url}/status`, { token: config.token });
  const byName = async () => new Map(((await status()).pipelines ?? []).map((p) => [p.name, p]));

  beforeAll(async () => {
    stack = await startTestStack({ services: ['mariadb', 'redis'] });
    const file = join(stack.layout.dir, 'pipewarden.yaml');
    writeFileSync(
      file,
      [
        'pipelines:',
        `  - { name: parking, source: "${SHARED_SAMPLE}", dataset: "builtin:nyc-parking-violations" }`,
        `  - { name: population, source: "${join(POPULATION, 'sample.csv')}", dataset: "${join(POPULATION, 'spec.yaml')}" }`,
        '',
      ].join('\n'),
    );
    config = loadConfig({ file, env: { ...stack.env }, useStackEnv: false });
    await migrate(config);
    loader = await startLoaderService(config, { watchSeconds: 0 });
    for (;;) {
      const s = await byName();
      if (s.get('parking')?.state === 'finished' && s.get('population')?.state === 'finished') break;
      await sleep(200);
    }
  });
  afterAll(async () => {
    await loader?.close();
    await stack?.cleanup();
  });

  test('a failed run holds its own pipeline only; the next run restarts it', async () => {
    await stack.mariadb.stop();
    try {
      await expect(reconcile(config, { pipeline: 'population', trigger: 'api', mysqlWaitSeconds: 1 })).rejects.toThrow(/MySQL did not answer within 1 s/);
    } finally {
      await stack.mariadb.start();
    }
    const held = await byName();
    expect(held.get('population')?.pausedBy).toMatchObject({ by: 'reconcile', error: expect.stringMatching(/MySQL did not answer/) });
    expect(held.get('parking')?.pausedBy).toBeUndefined();

    const r = await reconcile(config, { pipeline: 'population', trigger: 'api' });
    expect({ outcome: r.outcome, loaderRestarted: r.loaderRestarted, loaderError: r.loaderError }).toEqual({ outcome: 'nothing_to_do', loaderRestarted: true, loaderError: undefined });
    const after = await byName();
    expect(after.get('population')?.pausedBy).toBeUndefined();
    expect(after.get('parking')?.pausedBy).toBeUndefined();
  });

  test('a job over every pipeline waits for MySQL once: the pipelines after the first fail at the same deadline', async () => {
    const lines: { pipeline: string; msg: string }[] = [];
    const capture = (pipeline: string): Logger => {
      const note = (msg: string) => lines.push({ pipeline, msg });
      return { debug: note, info: note, warn: note, error: note, child: (c) => capture(c) };
    };
    await stack.mariadb.stop();
    try {
      const r = await reconcile(config, { trigger: 'api', mysqlWaitSeconds: 3, log: capture('job') });
      expect(r.pipelines?.map((p) => [p.pipeline, p.outcome, p.error])).toEqual([
        ['parking', 'failed', 'MySQL did not answer within 3 s'],
        ['population', 'failed', 'MySQL did not answer within 3 s'],
      ]);
    } finally {
      await stack.mariadb.start();
    }
    // Only the first pipeline waited; the second found the job's deadline passed.
    expect(lines.filter((l) => l.msg === 'waiting for MySQL to answer').map((l) => l.pipeline)).toEqual(['parking']);
    const r = await reconcile(config, { trigger: 'api' });
    expect(r.pipelines?.map((p) => [p.pipeline, p.loaderRestarted])).toEqual([
      ['parking', true],
      ['population', true],
    ]);
  });
});
