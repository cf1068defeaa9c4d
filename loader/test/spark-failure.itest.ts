// A Spark job that fails must stop the object with a clear error (the few stderr lines
// that say why, no Java stack frames), yield only whole parts it had committed (in order,
// equal to the inline engine's batches), leave no Spark process behind, and a later run
// must resume after what was yielded and produce the complete, correct output.
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetOf, loadConfig, type Config } from '@pipewarden/core';
import { createSparkEngine, sparkStagingDir } from '../src/engine/spark';
import { SparkJobError, resolveSparkTools, runSparkJob, writeSpecFile } from '../src/engine/spark/process';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason } from './helpers/spark-testkit';
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
      jobArgs: ['--spec', writeSpecFile(join(dir, 'spec.json'), datasetOf(config)), '--input', join(dir, 'no-such-file.csv'), '--output', join(dir, 'out-bad')],
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

  test('spark-submit killed mid-job: clear error, no half part yielded, no process left; the next run resumes', async () => {
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
    expect(await gone(pid)).toBe(true); // the Python driver and workers went with it
    // Its partial output is there but incomplete (no _SUCCESS)…
    const out = join(sparkStagingDir(config, object), 'out');
    expect(existsSync(join(out, '_SUCCESS'))).toBe(false);
    // …what it yielded before dying (parts it had committed, if any) is exactly the start of
    // the inline engine's batches…
    const inline = await drainEngine(inlineEngine(config), source, object, 1000);
    const strip = (d: BatchDraft) => ({ ...d.src, startByte: 0, endByte: 0, nextLine: undefined, tsv: d.tsv.toString(), rejects: d.rejects.length });
    expect(yielded.map(strip)).toEqual(inline.drafts.slice(0, yielded.length).map(strip));

    // …and the resumed run starts the job again and yields the rest, equal to inline.
    const done = yielded.reduce((n, d) => n + d.src.records, 0);
    const again = await drainEngine(createSparkEngine(config, log), source, object, 1000, { nextRecord: done + 1 });
    expect(Buffer.concat([...yielded.map((d) => d.tsv), Buffer.from(again.tsv)]).toString()).toBe(inline.tsv);
    expect([...yielded.flatMap((d) => d.rejects.map((r) => r.line)), ...again.rejects.map((r) => r.line)]).toEqual(inline.rejects.map((r) => r.line));
    expect(done + again.drafts.reduce((n, d) => n + d.src.records, 0)).toBe(30000);
    // The object was handed over: its staging folder is gone.
    expect(existsSync(sparkStagingDir(config, object))).toBe(false);
  });

  test('a consumer that stops after the first batch stops the job too: no Spark process outlives the read', async () => {
    const source = new LocalSource(file);
    const [object] = await source.list();
    const { log } = captureLogger();
    let pid = 0;
    const engine = createSparkEngine(config, log, { onJobStart: (p) => (pid = p) });
    const got: BatchDraft[] = [];
    for await (const d of engine.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000 }, new AbortController().signal)) {
      got.push(d);
      break; // as the loader does when its sink fails
    }
    expect(got).toHaveLength(1);
    expect(got[0].src.firstRecord).toBe(1);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  test('an abort stops the job and its processes; the engine does not throw nor mark the object done', async () => {
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
    // At most the whole batches of a part committed before the abort: never the last one.
    expect(yielded.filter((d) => d.last || d.src.records !== 1000)).toHaveLength(0);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
    expect(lines.some((l) => l.includes('aborting the Spark job'))).toBe(true);
    const out = join(sparkStagingDir(config, object), 'out');
    expect(existsSync(out) ? readdirSync(out) : []).not.toContain('_SUCCESS');
  });
});
