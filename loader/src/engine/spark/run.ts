// One run of the job on one staged object: its command line, its pid recorded in the
// object's staging folder while it runs (a later load stops a job a dead loader left
// running), the header it announces, and stopping it with the load or the consumer.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Logger, ResolvedSpec } from '@pipewarden/core';
import type { SourceObject } from '../../source/types';
import { TRANSFORM_PY, runSparkJob, writeSpecFile, type RunSparkOptions } from './process';
import { s3aSettings, type StagedInput } from './stage';
import { S3Output, type SparkOutputStore } from './store';

/** Where the job on one object works: the object, its staging folder, its output. */
export interface JobSite {
  object: SourceObject;
  stage: string;
  out: SparkOutputStore;
}

const pidFileOf = (stage: string) => join(stage, 'job.pid');

/**
 * Output on S3: the file committer's algorithm 2 copies each part to its final name when
 * its task commits (algorithm 1 only at the job's end), so the loader can follow the parts
 * while the job runs. The job writes to a prefix of its own, so a failed job's partial
 * output is never mistaken for a finished one (_SUCCESS and the summary mark that).
 */
const S3_OUTPUT_COMMITTER = ['--conf', 'spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version=2'];

/** The spark-submit options, the job's arguments and environment for a staged object. */
export function jobCommand(config: Config, spec: ResolvedSpec, site: JobSite, input: StagedInput): Pick<RunSparkOptions, 'submitArgs' | 'jobArgs' | 'env'> {
  const maxPartitionBytes = String(config.spark.maxPartitionBytes);
  const extra = config.spark.submitArgs.split(/\s+/).filter(Boolean);
  const toS3 = site.out instanceof S3Output;
  const s3a = toS3 && input.submitArgs.length === 0 ? s3aSettings(config) : { submitArgs: [], env: {} };
  return {
    submitArgs: [...input.submitArgs, ...s3a.submitArgs, ...(toS3 ? S3_OUTPUT_COMMITTER : []), ...extra],
    jobArgs: ['--spec', writeSpecFile(join(site.stage, 'spec.json'), spec), '--input', input.uri, '--name', site.object.key, '--output', site.out.jobUri, '--final-newline', input.finalNewline ? 'yes' : 'no', '--max-partition-bytes', maxPartitionBytes, ...(input.download ? ['--wait-for-input'] : []), ...(input.parquet ? ['--parquet', input.parquet.planFile] : [])],
    env: { ...s3a.env, ...input.env },
  };
}

/**
 * Kill the job a dead loader left running on this object (its process group, recorded in
 * the staging folder when it started): it would go on writing where the new job writes. Only
 * a process that still runs our transform.py is taken for it; a reused pid is left alone.
 */
export async function stopLeftoverJob(stage: string, log: Logger): Promise<void> {
  const pidFile = pidFileOf(stage);
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // gone (or no /proc to tell): nothing to stop
  }
  if (!cmdline.includes(TRANSFORM_PY)) return;
  log.warn('stopping the Spark job an earlier, interrupted load left running', { pid });
  const signalGroup = (sig: NodeJS.Signals | 0) => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      return false; // no such process group any more
    }
  };
  signalGroup('SIGKILL');
  for (let i = 0; i < 100 && signalGroup(0); i++) await new Promise((r) => setTimeout(r, 50));
}

/** How to run the job: runSparkJob's options but those SparkRun sets itself. */
export type SparkRunOptions = Omit<RunSparkOptions, 'signal' | 'onStart' | 'onEvent'> & { onJobStart?: (pid: number) => void };

/** The job on one object, started at construction. */
export class SparkRun {
  /** The header the job announced (it does before its first part); [] until then. */
  header: string[] = [];
  /** Settles when spark-submit exits; rejects when the job failed. */
  readonly done: Promise<void>;
  private settled = false;
  // The job stops with the load (signal), and when the consumer stops early (finish()).
  private readonly stop = new AbortController();
  private readonly onAbort = () => this.stop.abort();

  constructor(
    stage: string,
    { onJobStart, ...opts }: SparkRunOptions,
    private readonly signal: AbortSignal,
  ) {
    const pidFile = pidFileOf(stage);
    signal.addEventListener('abort', this.onAbort, { once: true });
    this.done = runSparkJob({
      ...opts,
      signal: this.stop.signal,
      onStart: (pid) => {
        writeFileSync(pidFile, String(pid));
        onJobStart?.(pid);
      },
      onEvent: (e) => {
        if (Array.isArray(e.header)) this.header = e.header.map(String);
      },
    }).finally(() => {
      this.settled = true;
      rmSync(pidFile, { force: true });
    });
  }

  /** The consumer is done with the job's output: a job still running (an error downstream) is stopped, no orphan left. */
  async finish(): Promise<void> {
    this.signal.removeEventListener('abort', this.onAbort);
    if (!this.settled) {
      this.stop.abort();
      await this.done.catch(() => undefined);
    }
  }
}
