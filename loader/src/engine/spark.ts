// The Spark engine: the same records, rules and batches as the inline engine, with the
// parsing and normalization done by loader/spark/transform.py under spark-submit.
//
// Per object: stage the input (download from S3 into the run dir, use a local file where it
// is, or hand Spark an s3a:// URI with PIPEWARDEN_SPARK_S3A=true; a compressed object is
// staged decoded, ../source/decode.ts), run the job into its
// output — a folder in the run dir, or a prefix on S3 written through s3a
// (PIPEWARDEN_SPARK_OUTPUT_URL, for a cluster that shares no disk with the loader) — and
// follow that output while the job runs: each part is read in ordinal order as soon as Spark
// commits it (./spark-output.ts), and BatchDrafts of `batchSize` input records are cut from
// `start.nextRecord`. Everything after the engine (WAL, dual write, checkpoints, recovery) is
// shared with the inline engine, and batch ids depend only on (object, ETag, first ordinal),
// so both engines produce the same batches.
//
// The job applies the rules of the configuration's dataset: it reads the resolved spec
// (JSON, --spec) that this engine writes into the object's staging folder.
//
// A finished job's output is kept until the object is fully handed over, under a folder
// named by (object, ETag, job code + spec): a load resumed after a crash re-reads it
// instead of running Spark again.
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError, datasetOf, rulesFor, s3Endpoint, type Config, type DeadLetter, type Logger, type ResolvedSpec, type RowRules } from '@pipewarden/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../source/s3';
import type { Source, SourceObject } from '../source/types';
import { LocalOutput, S3Output, type SparkOutputStore } from './spark-store';
import type { BatchDraft, Engine, EngineStart } from './types';
import { SparkOutputFollower, readSparkRecords, readSparkSummary, sparkOutputComplete, type SparkRecord, type SparkSummary } from './spark-output';
import { writeSparkParquetPlan } from './spark-parquet';
import { TRANSFORM_PY, resolveSparkTools, runSparkJob, specJson, writeSpecFile, type SparkProgress, type SparkTools } from './spark-process';


const NEWLINE = Buffer.from('\n');

/** Hash of the job's code and the resolved spec it applies: output staged by another version, or under other rules, is not reused. */
function jobVersion(spec: ResolvedSpec): string {
  const h = createHash('sha256');
  const jobDir = dirname(TRANSFORM_PY);
  const modules = readdirSync(jobDir).filter((f) => f.endsWith('.py') && !f.startsWith('test_')).sort();
  for (const f of modules) h.update(readFileSync(join(jobDir, f)));
  h.update(specJson(spec));
  return h.digest('hex').slice(0, 12);
}

function stagingId(config: Config, object: SourceObject): string {
  return createHash('sha256').update(`${object.key}\0${object.etag}\0${jobVersion(datasetOf(config))}`).digest('hex').slice(0, 20);
}

/** The object's staging folder (input, the job's spec, its output unless it goes to S3), named by object, ETag, job code and the dataset's spec. */
export function sparkStagingDir(config: Config, object: SourceObject): string {
  return join(config.runDir, 'spark', stagingId(config, object));
}

/** Where the job's output for this object goes: `<output URL><staging id>/out/` on S3, else `out` in the staging folder. */
function sparkOutputFor(config: Config, object: SourceObject, s3: () => S3Client): SparkOutputStore {
  const url = config.spark.outputUrl;
  if (!url) return new LocalOutput(join(sparkStagingDir(config, object), 'out'));
  return new S3Output(s3(), `${url.replace(/\/?$/, '/')}${stagingId(config, object)}/out/`);
}

/**
 * spark-submit settings for the S3A connector (hadoop-aws on the cluster's classpath): the
 * endpoint and path style; credentials go by environment to the driver (S3A's
 * EnvironmentVariableCredentialsProvider), never on a command line. The executors of a
 * cluster get theirs by the cluster's own means (instance profiles, the workers' environment).
 */
function s3aSettings(config: Config): { submitArgs: string[]; env: NodeJS.ProcessEnv } {
  const s3 = s3Endpoint(config);
  const submitArgs: string[] = [];
  if (s3.endpoint) submitArgs.push('--conf', `spark.hadoop.fs.s3a.endpoint=${s3.endpoint}`);
  if (s3.forcePathStyle) submitArgs.push('--conf', 'spark.hadoop.fs.s3a.path.style.access=true');
  const env: NodeJS.ProcessEnv = { AWS_REGION: s3.region };
  if (s3.credentials) Object.assign(env, { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });
  return { submitArgs, env };
}

/**
 * Output on S3: the file committer's algorithm 2 copies each part to its final name when
 * its task commits (algorithm 1 only at the job's end), so the loader can follow the parts
 * while the job runs. The job writes to a prefix of its own, so a failed job's partial
 * output is never mistaken for a finished one (_SUCCESS and the summary mark that).
 */
const S3_OUTPUT_COMMITTER = ['--conf', 'spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version=2'];

interface StagedInput {
  uri: string;
  finalNewline: boolean;
  /** A Parquet object: its plan for the job (./spark-parquet.ts). */
  parquet?: { planFile: string; rows: number };
  /** Settles when the object is downloaded to `uri` (the job starts meanwhile and waits for it). */
  download?: Promise<void>;
  submitArgs: string[];
  env: NodeJS.ProcessEnv;
}

function lastByteIsLf(path: string): boolean {
  const size = statSync(path).size;
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 10;
  } finally {
    closeSync(fd);
  }
}

/** Whether the object's last byte is LF, read with a one-byte ranged request (an empty object counts as ending in one). */
async function endsWithLf(source: Source, object: SourceObject, signal: AbortSignal): Promise<boolean> {
  if (object.size === 0) return true;
  const chunks: Buffer[] = [];
  for await (const c of source.open(object, object.size - 1, signal)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).at(-1) === 10;
}

/**
 * Kill the job a dead loader left running on this object (its process group, recorded in
 * `pidFile` when it started): it would go on writing where the new job writes. Only a
 * process that still runs our transform.py is taken for it; a reused pid is left alone.
 */
async function stopLeftoverJob(pidFile: string, log: Logger): Promise<void> {
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

/** Observers of the Spark job (progress displays, tests). */
export interface SparkEngineHooks {
  onJobStart?: (pid: number) => void;
  onProgress?: (p: SparkProgress) => void;
}

class SparkEngine implements Engine {
  readonly name = 'spark' as const;
  private tools?: SparkTools;
  private readonly rules: RowRules;
  private s3?: S3Client;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly hooks: SparkEngineHooks,
  ) {
    this.rules = rulesFor(datasetOf(config));
  }

  async *batches(source: Source, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncIterable<BatchDraft> {
    // Checked on first use, not at construction: a clear message for what is missing.
    const tools = (this.tools ??= resolveSparkTools(this.config));
    const stage = sparkStagingDir(this.config, object);
    const out = sparkOutputFor(this.config, object, () => (this.s3 ??= createS3Client(this.config)));
    const log = this.log;
    if (await sparkOutputComplete(out)) {
      log.info('reusing the output of an earlier Spark run', { object: object.key, output: out.where });
      const summary = this.logSummary(await readSparkSummary(out), object);
      yield* this.cut(readSparkRecords(out, start.nextRecord, summary.offsets), { total: summary.records, header: () => summary.header, bytes: () => 0 }, object, start, signal);
    } else {
      mkdirSync(stage, { recursive: true });
      const pidFile = join(stage, 'job.pid');
      await stopLeftoverJob(pidFile, log);
      await out.remove();
      let input: StagedInput;
      try {
        input = await this.stageInput(source, object, stage, signal);
      } catch (e) {
        if (signal.aborted) return; // stopped while downloading: nothing yielded, resumable
        throw e;
      }
      if (signal.aborted) return;
      const maxPartitionBytes = String(this.config.spark.maxPartitionBytes);
      const extra = this.config.spark.submitArgs.split(/\s+/).filter(Boolean);
      let header: string[] = [];
      // The job stops with the load (signal), and when the consumer stops early (finally).
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const toS3 = out instanceof S3Output;
      const s3a = toS3 && input.submitArgs.length === 0 ? s3aSettings(this.config) : { submitArgs: [], env: {} };
      const job = runSparkJob({
        tools,
        master: this.config.spark.master,
        driverMemory: this.config.spark.driverMemory,
        submitArgs: [...input.submitArgs, ...s3a.submitArgs, ...(toS3 ? S3_OUTPUT_COMMITTER : []), ...extra],
        jobArgs: ['--spec', writeSpecFile(join(stage, 'spec.json'), this.rules.spec), '--input', input.uri, '--name', object.key, '--output', out.jobUri, '--final-newline', input.finalNewline ? 'yes' : 'no', '--max-partition-bytes', maxPartitionBytes, ...(input.download ? ['--wait-for-input'] : []), ...(input.parquet ? ['--parquet', input.parquet.planFile] : [])],
        env: { ...s3a.env, ...input.env },
        log,
        signal: stop.signal,
        onStart: (pid) => {
          writeFileSync(pidFile, String(pid));
          this.hooks.onJobStart?.(pid);
        },
        onProgress: this.hooks.onProgress,
        onEvent: (e) => {
          if (Array.isArray(e.header)) header = e.header.map(String);
        },
      }).finally(() => {
        settled = true;
        rmSync(pidFile, { force: true });
      });
      // Parts are uploaded as Spark commits them; the job's summary comes at its end. The
      // job announces the header before its first part: batches carry it from the first.
      // A Parquet object's parts are blocks of rows (row indexes), a CSV object's blocks of bytes.
      const rows = input.parquet?.rows;
      const follower = new SparkOutputFollower(out, { job, inputEnd: rows ?? object.size, fromOrdinal: start.nextRecord, signal, ready: () => header.length > 0 });
      const reached = rows === undefined ? () => follower.reached : () => Math.round((object.size * follower.reached) / Math.max(rows, 1));
      let summary: SparkSummary | undefined;
      // The follower has read the summary by the time the records are exhausted.
      const ended = () => (summary = this.logSummary(follower.summary!, object));
      try {
        if (input.download) {
          try {
            await input.download;
          } catch (e) {
            if (signal.aborted) return; // stopped while downloading: nothing yielded, resumable
            throw e;
          }
        }
        yield* this.cut(follower.records(), { header: () => summary?.header ?? header, bytes: reached, ended }, object, start, signal);
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (!settled) {
          // The consumer stopped before the job ended (an error downstream): no orphan job.
          stop.abort();
          await job.catch(() => undefined);
        }
      }
    }
    if (!signal.aborted) {
      // The object is handed over: its staging folder and its output go.
      rmSync(stage, { recursive: true, force: true });
      await out.remove();
    }
  }

  private absentOf?: { header: string[]; absent: string[] };
  /** The spec columns the object's header lacks (computed once per header). */
  private absent(header: string[]): string[] {
    if (this.absentOf?.header !== header) this.absentOf = { header, absent: absentColumns(this.rules, header) };
    return this.absentOf.absent;
  }

  /** The finished job's summary, its warnings logged. */
  private logSummary(summary: SparkSummary, object: SourceObject): SparkSummary {
    const log = this.log;
    if (summary.header_error) log.warn('header cannot be mapped: every record is a dead letter', { object: object.key, error: summary.header_error });
    if (summary.unknown_headers.length) log.warn('header has unknown columns (ignored)', { object: object.key, columns: summary.unknown_headers });
    log.info('spark output ready', { object: object.key, records: summary.records, kept: summary.kept, rejected: summary.rejected, partitions: summary.partitions, carried: summary.carried_records, scan: summary.scan, seconds: summary.seconds });
    return summary;
  }

  /** Where Spark reads the object from. */
  private async stageInput(source: Source, object: SourceObject, stage: string, signal: AbortSignal): Promise<StagedInput> {
    if (object.format === 'parquet') {
      // Spark's own reader; the plan (read first: a column that cannot load fails here) says what to make of its rows.
      const planFile = join(stage, 'parquet.json');
      const { rows } = await writeSparkParquetPlan(this.rules, source, object, planFile, signal);
      return { ...(await this.stageBytes(source, object, stage, signal, false)), parquet: { planFile, rows } };
    }
    return this.stageBytes(source, object, stage, signal, true);
  }

  /** The object's bytes where Spark reads them (`csv`: whether its last byte decides how the job ends). */
  private async stageBytes(source: Source, object: SourceObject, stage: string, signal: AbortSignal, csv: boolean): Promise<StagedInput> {
    if (object.encoding) return this.stageDecoded(source, object, stage, signal);
    if (this.config.spark.s3a && object.key.startsWith('s3://')) {
      // The cluster reads S3 itself (hadoop-aws on its classpath).
      return { uri: `s3a://${object.key.slice('s3://'.length)}`, finalNewline: !csv || (await endsWithLf(source, object, signal)), ...s3aSettings(this.config) };
    }
    if (object.key.startsWith('/') && existsSync(object.key)) {
      // A local file: Spark reads it where it is (the source checks its ETag on open).
      source.open(object, object.size, signal).destroy();
      return { uri: object.key, finalNewline: !csv || lastByteIsLf(object.key), submitArgs: [], env: {} };
    }
    const file = join(stage, csv ? 'input.csv' : 'input.parquet');
    if (existsSync(file) && statSync(file).size === object.size) return { uri: file, finalNewline: !csv || lastByteIsLf(file), submitArgs: [], env: {} };
    // Downloaded while the JVM starts: the job waits for the file to appear (the rename
    // below), so the object's last byte, which decides how the job ends, is read first.
    const finalNewline = !csv || (await endsWithLf(source, object, signal));
    const tmp = `${file}.part`;
    const t0 = Date.now();
    this.log.info('staging the object for Spark', { object: object.key, bytes: object.size });
    const download = pipeline(source.open(object, 0, signal), createWriteStream(tmp, { highWaterMark: 1 << 20 }), { signal }).then(() => {
      renameSync(tmp, file);
      this.log.info('object staged', { object: object.key, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
    });
    download.catch(() => undefined); // awaited by the caller; never an unhandled rejection
    return { uri: file, finalNewline, submitArgs: [], env: {}, download };
  }

  /**
   * A compressed object (source/decode.ts) is staged decoded before the job starts: Hadoop
   * picks a codec by the key's extension only, and has no zstd without native libraries. Not
   * through s3a: the executors would read the compressed bytes.
   */
  private async stageDecoded(source: Source, object: SourceObject, stage: string, signal: AbortSignal): Promise<StagedInput> {
    if (this.config.spark.s3a) {
      throw new UserError(`${object.key} is ${object.encoding}-compressed; the Spark engine reading S3 through s3a (PIPEWARDEN_SPARK_S3A) reads objects as they are stored`, 'load compressed objects with the inline engine, or without PIPEWARDEN_SPARK_S3A (the loader then stages them decoded)');
    }
    const file = join(stage, 'input.csv');
    const tmp = `${file}.part`;
    this.log.info('staging the object for Spark, decoded', { object: object.key, encoding: object.encoding, bytes: object.size });
    await pipeline(source.open(object, 0, signal), createWriteStream(tmp, { highWaterMark: 1 << 20 }), { signal });
    renameSync(tmp, file);
    return { uri: file, finalNewline: lastByteIsLf(file), submitArgs: [], env: {} };
  }

  /** BatchDrafts of `batchSize` input records from `start.nextRecord`, in order. */
  private async *cut(records: AsyncIterable<SparkRecord>, info: CutInfo, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncGenerator<BatchDraft> {
    let total = info.total;
    const { batchSize } = start;
    let firstRecord = start.nextRecord;
    let parts: Buffer[] = [];
    let keys: string[] = [];
    let rejects: DeadLetter[] = [];
    const rules = this.rules;
    let oddities = rules.newOddities();
    let count = 0;
    let firstLine = 0;
    let lastOrdinal = start.nextRecord - 1;
    const finish = (last: boolean): BatchDraft => {
      const followed = info.bytes();
      const draft: BatchDraft = {
        src: { key: object.key, etag: object.etag, firstRecord, records: count, startByte: -1, endByte: -1, firstLine },
        tsv: Buffer.concat(parts),
        keys,
        rejects,
        oddities,
        header: info.header(),
        absent: this.absent(info.header()),
        // Spark does not say where in the bytes a record was: progress is by part, or proportional.
        bytesRead: last ? object.size : followed > 0 ? followed : total ? Math.round((object.size * lastOrdinal) / total) : 0,
        last,
      };
      firstRecord += count;
      parts = [];
      keys = [];
      rejects = [];
      oddities = rules.newOddities();
      count = 0;
      return draft;
    };
    for await (const r of records) {
      if (signal.aborted) return;
      if (count === 0) firstLine = r.line;
      count++;
      lastOrdinal = r.ordinal;
      if (r.kind === 'K') {
        parts.push(r.tsv, NEWLINE);
        keys.push(rules.keyOfTsv(r.tsv, 0, r.tsv.length));
        for (const i of r.oddities) oddities.counts[i]++;
      } else {
        rejects.push({ line: r.line, reason: r.reason, raw: r.raw, ...(r.detail !== undefined ? { detail: r.detail } : {}) });
      }
      if (count >= batchSize) {
        const last = r.ordinal === total;
        yield finish(last);
        if (last) return;
      }
    }
    if (signal.aborted) return;
    total ??= info.ended?.().records ?? 0; // the records are exhausted: the job is done
    if (lastOrdinal !== Math.max(total, start.nextRecord - 1)) {
      throw new Error(`Spark output of ${object.key} ends at record ${lastOrdinal}, its summary counts ${total}`);
    }
    // The final (possibly empty) batch marks the object done, as with the inline engine.
    yield finish(true);
  }
}

/** The spec columns a header lacks (NULL in every row), as the inline engine reports them; none for a header that cannot be mapped. */
function absentColumns(rules: RowRules, header: string[]): string[] {
  if (header.length === 0) return [];
  try {
    return rules.mapHeader(header).absent;
  } catch (e) {
    if (e instanceof UserError) return [];
    throw e;
  }
}

/** What cut() knows of a stream of records besides the records. */
interface CutInfo {
  /** Records in the object, when known before reading them (a finished job's output). */
  total?: number;
  header: () => string[];
  /** How far into the object's bytes the records so far reach (a followed job), else 0. */
  bytes: () => number;
  /** The finished job's summary, read once the records are exhausted. */
  ended?: () => SparkSummary;
}

/** The Spark engine (config.engine === 'spark'). */
export function createSparkEngine(config: Config, log: Logger, hooks: SparkEngineHooks = {}): Engine {
  return new SparkEngine(config, log.child('spark'), hooks);
}
