// The Spark engine against a real standalone cluster: a Spark master and a worker started
// from the installed Spark (spark-class), PIPEWARDEN_SPARK_MASTER=spark://…, the job's
// tasks run in the worker's executor, not in the driver. Same batches as the inline engine.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig, type Config } from '@pipewarden/core';
import { freePort } from '@pipewarden/stack';
import { createSparkEngine } from '../src/engine/spark';
import { resolveSparkTools } from '../src/engine/spark-process';
import { captureLogger, drainEngine, inlineEngine, sparkSkipReason } from '../src/engine/spark-testkit';
import { generate } from '../src/generate';
import { LocalSource } from '../src/source/local';

jest.setTimeout(240_000);

const skip = sparkSkipReason();
if (skip) console.warn(`SKIPPED spark-cluster: ${skip}`);
const describeSpark = skip ? describe.skip : describe;

/** A Spark daemon in its own process group, its output in a log file. */
function daemon(sparkClass: string, args: string[], log: string, env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(log, 'a');
  return spawn(sparkClass, args, { env, detached: true, stdio: ['ignore', out, out] });
}

async function waitForLine(file: string, pattern: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(file) && pattern.test(readFileSync(file, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${file} never said ${pattern}:\n${existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '(no log)'}`);
}

describeSpark('Spark engine on a standalone cluster (spark://)', () => {
  let dir: string;
  let config: Config;
  const daemons: ChildProcess[] = [];
  let masterUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pw-spark-cluster-'));
    config = loadConfig({ env: { PIPEWARDEN_RUN_DIR: join(dir, 'run'), PIPEWARDEN_ENGINE: 'spark' }, useStackEnv: false });
    const tools = resolveSparkTools(config);
    const sparkClass = join(dirname(tools.submit), 'spark-class');
    expect(existsSync(sparkClass)).toBe(true);
    const [port, masterUi, workerUi] = [await freePort(), await freePort(), await freePort()];
    masterUrl = `spark://127.0.0.1:${port}`;
    const env = { ...process.env, SPARK_LOCAL_IP: '127.0.0.1', SPARK_LOG_DIR: dir, PYSPARK_PYTHON: tools.python };
    const masterLog = join(dir, 'master.log');
    const workerLog = join(dir, 'worker.log');
    daemons.push(daemon(sparkClass, ['org.apache.spark.deploy.master.Master', '--host', '127.0.0.1', '--port', String(port), '--webui-port', String(masterUi)], masterLog, env));
    await waitForLine(masterLog, /Starting Spark master at/, 60_000);
    daemons.push(daemon(sparkClass, ['org.apache.spark.deploy.worker.Worker', '--host', '127.0.0.1', '--cores', '2', '--memory', '1g', '--work-dir', join(dir, 'work'), '--webui-port', String(workerUi), masterUrl], workerLog, env));
    await waitForLine(workerLog, /Successfully registered with master/, 60_000);
  });

  afterAll(() => {
    for (const d of daemons) {
      try {
        if (d.pid) process.kill(-d.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('a job submitted to the master runs in the worker\'s executor and yields the inline engine\'s batches', async () => {
    const file = join(dir, 'input.csv');
    await generate(file, { rows: 20000, seed: 11, badShare: 0.03, kaggle: true });
    const source = new LocalSource(file);
    const [object] = await source.list();
    config.spark.master = masterUrl;
    config.spark.maxPartitionBytes = 1 << 20; // several tasks
    const { log, lines } = captureLogger();
    const spark = await drainEngine(createSparkEngine(config, log), source, object, 1500);
    const inline = await drainEngine(inlineEngine(config), source, object, 1500);
    expect(lines.some((l) => l.includes('spark job starting') && l.includes(masterUrl))).toBe(true);
    expect(spark.tsv).toBe(inline.tsv);
    expect(spark.rejects).toEqual(inline.rejects);
    expect(spark.oddities).toEqual(inline.oddities);
    expect(spark.drafts.filter((d) => d.src.records > 0).map((d) => d.src)).toEqual(inline.drafts.filter((d) => d.src.records > 0).map((d) => ({ ...d.src, startByte: -1, endByte: -1, nextLine: undefined })));
    // The tasks ran in an executor the worker launched for this application.
    const workLog = readFileSync(join(dir, 'worker.log'), 'utf8');
    expect(workLog).toMatch(/Asked to launch executor app-\S+\/\d+ for pipewarden-transform/);
  });
});
