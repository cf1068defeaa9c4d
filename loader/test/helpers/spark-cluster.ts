// A standalone Spark cluster for tests: a master and one worker started from the installed
// Spark (spark-class) on free ports, each in its own process group, logs in `dir`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '@pipewarden/core';
import { freePort } from '@pipewarden/stack';
import { resolveSparkTools } from '../../src/engine/spark/process';

export interface SparkCluster {
  masterUrl: string;
  workerLog: string;
  stop(): void;
}

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

/** Start a master and a worker (2 cores, 1 GB); `workerEnv` is what the worker and its executors see besides the test's own environment. */
export async function startSparkCluster(config: Config, dir: string, workerEnv: NodeJS.ProcessEnv = {}): Promise<SparkCluster> {
  const tools = resolveSparkTools(config);
  const sparkClass = join(dirname(tools.submit), 'spark-class');
  if (!existsSync(sparkClass)) throw new Error(`no spark-class beside ${tools.submit}`);
  const [port, masterUi, workerUi] = [await freePort(), await freePort(), await freePort()];
  const masterUrl = `spark://127.0.0.1:${port}`;
  const env = { ...process.env, SPARK_LOCAL_IP: '127.0.0.1', SPARK_LOG_DIR: dir, PYSPARK_PYTHON: tools.python };
  const masterLog = join(dir, 'master.log');
  const workerLog = join(dir, 'worker.log');
  const daemons: ChildProcess[] = [];
  const stop = () => {
    for (const d of daemons) {
      try {
        if (d.pid) process.kill(-d.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  try {
    daemons.push(daemon(sparkClass, ['org.apache.spark.deploy.master.Master', '--host', '127.0.0.1', '--port', String(port), '--webui-port', String(masterUi)], masterLog, env));
    await waitForLine(masterLog, /Starting Spark master at/, 60_000);
    daemons.push(daemon(sparkClass, ['org.apache.spark.deploy.worker.Worker', '--host', '127.0.0.1', '--cores', '2', '--memory', '1g', '--work-dir', join(dir, 'work'), '--webui-port', String(workerUi), masterUrl], workerLog, { ...env, ...workerEnv }));
    await waitForLine(workerLog, /Successfully registered with master/, 60_000);
  } catch (e) {
    stop();
    throw e;
  }
  return { masterUrl, workerLog, stop };
}
