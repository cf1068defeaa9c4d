// A Spark job that fails must stop the object with a clear error (the few stderr lines
// that say why, no Java stack frames), yield nothing half-way, leave no Spark process
// behind, and a later run must resume and produce the complete, correct output.
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '@pipewarden/core';
import { InlineEngine } from '../src/engine/inline';
import { createSparkEngine, sparkStagingDir } from '../src/engine/spark';
import { SparkJobError, SPEC_JSON, resolveSparkTools, runSparkJob } from '../src/engine/spark-process';
import { captureLogger, drainEngine, sparkSkipReason } from '../src/engine/spark-testkit';
import { generate } from '../src/generate';
import { LocalSource } from '../src/source/local';
import type { BatchDraft } from '../src/engine/types';

jest.setTimeout(240_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-failure: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0); // the job's whole process group
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 10000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describeSpark('Spark job failures', () => {
  let dir: string;
  let config: Config;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-fail-'));
    config = loadConfig({ env: { PIPEWARDEN_RUN_DIR: join(dir, 'run'), PIPEWARDEN_ENGINE: 'spark' }, useStackEnv: false });
    file = join(dir, 'input.csv');
    await generate(file, { rows: 30000, seed: 3, badShare: 0.02 });
    // Small partitions: the job has many tasks, so there is time to kill it mid-way.
    config.spark.maxPartitionBytes = 256 << 10;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a bad input path fails with the reason, not a stack dump', async () => {
    const { log } = captureLogger();
    const err = await runSparkJob({
      tools: resolveSparkTools(config),
      master: config.spark.master,
      jobArgs: ['--spec', SPEC_JSON, '--input', join(dir, 'no-such-file.csv'), '--output', join(dir, 'out-bad')],
      log,
      signal: new AbortController().signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkJobError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/exited with code 2/);
    expect(msg).toMatch(/cannot read input .*no-such-file\.csv.*(does not exist|PATH_NOT_FOUND)/);
    expect(msg).not.toMatch(/^\s+at /m); // no Java stack frames
    expect(msg.split('\n').length).toBeLessThanOrEqual(14);
    expect(existsSync(join(dir, 'out-bad', '_SUCCESS'))).toBe(false);
  });

  test('spark-submit killed mid-job: clear error, nothing yielded, no process left; the next run resumes', async () => {
    const source = new LocalSource(file);
    const [object] = await source.list();
    const { log } = captureLogger();
    let pid = 0;
    const yielded: BatchDraft[] = [];
    const killer = createSparkEngine(config, log, {
      onJobStart: (p) => (pid = p),
      // The first finished task means the job is under way: kill the driver JVM outright.
      onProgress: () => {
        if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      },
    });
    const err = await (async () => {
      for await (const d of killer.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000 }, new AbortController().signal)) yielded.push(d);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SparkJobError);
    expect((err as Error).message).toMatch(/the Spark job was killed by SIGKILL|the Spark job exited with code/);
    expect(yielded).toHaveLength(0);
    expect(await gone(pid)).toBe(true); // the Python driver and workers went with it
    // Its partial output is there but incomplete (no _SUCCESS)…
    const out = join(sparkStagingDir(config, object), 'out');
    expect(existsSync(join(out, '_SUCCESS'))).toBe(false);

    // …so the resumed run starts the job again and yields everything, equal to inline.
    const again = await drainEngine(createSparkEngine(config, log), source, object, 1000);
    const inline = await drainEngine(new InlineEngine(), source, object, 1000);
    expect(again.tsv).toBe(inline.tsv);
    expect(again.rejects).toEqual(inline.rejects);
    expect(again.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(30000);
    // The object was handed over: its staging folder is gone.
    expect(existsSync(sparkStagingDir(config, object))).toBe(false);
  });

  test('an abort stops the job and its processes; the engine yields nothing and does not throw', async () => {
    const other = join(dir, 'other.csv');
    writeFileSync(other, '');
    await generate(other, { rows: 30000, seed: 4 });
    const source = new LocalSource(other);
    const [object] = await source.list();
    const { log, lines } = captureLogger();
    const ctl = new AbortController();
    let pid = 0;
    const engine = createSparkEngine(config, log, { onJobStart: (p) => (pid = p), onProgress: () => ctl.abort() });
    const yielded: BatchDraft[] = [];
    for await (const d of engine.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000 }, ctl.signal)) yielded.push(d);
    expect(yielded).toHaveLength(0);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
    expect(lines.some((l) => l.includes('aborting the Spark job'))).toBe(true);
    const out = join(sparkStagingDir(config, object), 'out');
    expect(existsSync(out) ? readdirSync(out) : []).not.toContain('_SUCCESS');
  });
});
