// The Spark engine: the same records, rules and batches as the inline engine, with the
// parsing and normalization done by ./job/transform.py under spark-submit.
//
// Per object: stage the input (./stage.ts: download from S3 into the run dir, use a local
// file where it is, or hand Spark an s3a:// URI with PIPEWARDEN_SPARK_S3A=true; a compressed
// object is staged decoded), run the job (./run.ts, ./process.ts) into its
// output — a folder in the run dir, or a prefix on S3 written through s3a
// (PIPEWARDEN_SPARK_OUTPUT_URL, for a cluster that shares no disk with the loader) — and
// follow that output while the job runs: each part is read in ordinal order as soon as Spark
// commits it (./output.ts), and BatchDrafts of `batchSize` input records are cut from
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
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError, datasetOf, rulesFor, type Config, type DeadLetter, type Logger, type ResolvedSpec, type RowRules } from '@pipewarden/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../source/s3';
import type { Source, SourceObject } from '../../source/types';
import { LocalOutput, S3Output, type SparkOutputStore } from './store';
import type { BatchDraft, Engine, EngineStart } from '../types';
import { SparkOutputFollower, readSparkRecords, readSparkSummary, sparkOutputComplete, type SparkRecord, type SparkSummary } from './output';
import { TRANSFORM_PY, resolveSparkTools, specJson, type SparkProgress, type SparkTools } from './process';
import { SparkRun, jobCommand, stopLeftoverJob, type JobSite } from './run';
import { InputStager, downloaded, type StagedInput } from './stage';

const NEWLINE = Buffer.from('\n');

/** Hash of the job's code and the resolved spec it applies: output staged by another version, or under other rules, is not reused. */
function jobVersion(spec: ResolvedSpec): string {
  const h = createHash('sha256');
  const jobDir = dirname(TRANSFORM_PY);
  const modules = readdirSync(jobDir).filter((f) => f.endsWith('.py')).sort();
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

/** Observers of the Spark job (progress displays, tests). */
export interface SparkEngineHooks {
  onJobStart?: (pid: number) => void;
  onProgress?: (p: SparkProgress) => void;
}

class SparkEngine implements Engine {
  readonly name = 'spark' as const;
  private tools?: SparkTools;
  private readonly rules: RowRules;
  private readonly stager: InputStager;
  private s3?: S3Client;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly hooks: SparkEngineHooks,
  ) {
    this.rules = rulesFor(datasetOf(config));
    this.stager = new InputStager(config, this.rules, this.log);
  }

  async *batches(source: Source, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncIterable<BatchDraft> {
    // Checked on first use, not at construction: a clear message for what is missing.
    const tools = (this.tools ??= resolveSparkTools(this.config));
    const stage = sparkStagingDir(this.config, object);
    const out = sparkOutputFor(this.config, object, () => (this.s3 ??= createS3Client(this.config)));
    if (await sparkOutputComplete(out)) yield* this.reread(out, object, start, signal);
    else yield* this.runAndFollow(tools, source, { object, stage, out }, start, signal);
    if (!signal.aborted) {
      // The object is handed over: its staging folder and its output go.
      rmSync(stage, { recursive: true, force: true });
      await out.remove();
    }
  }

  /** The output an earlier run finished (a load resumed after a crash): read again, no job run. */
  private async *reread(out: SparkOutputStore, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncGenerator<BatchDraft> {
    this.log.info('reusing the output of an earlier Spark run', { object: object.key, output: out.where });
    const summary = this.logSummary(await readSparkSummary(out), object);
    yield* this.cut(readSparkRecords(out, start.nextRecord, summary.offsets), { total: summary.records, header: () => summary.header, bytes: () => 0 }, object, start, signal);
  }

  /** Stage the object, run the job on it and follow its output while it runs. */
  private async *runAndFollow(tools: SparkTools, source: Source, site: JobSite, start: EngineStart, signal: AbortSignal): AsyncGenerator<BatchDraft> {
    const { object } = site;
    const input = await this.prepare(source, site, signal);
    if (!input) return; // stopped while staging: nothing yielded, resumable
    const { config, hooks } = this;
    const job = new SparkRun(site.stage, { tools, master: config.spark.master, driverMemory: config.spark.driverMemory, ...jobCommand(config, this.rules.spec, site, input), log: this.log, onJobStart: hooks.onJobStart, onProgress: hooks.onProgress }, signal);
    // Parts are uploaded as Spark commits them; the job's summary comes at its end. The
    // job announces the header before its first part: batches carry it from the first.
    // A Parquet object's parts are blocks of rows (row indexes), a CSV object's blocks of bytes.
    const rows = input.parquet?.rows;
    const follower = new SparkOutputFollower(site.out, { job: job.done, inputEnd: rows ?? object.size, fromOrdinal: start.nextRecord, signal, ready: () => job.header.length > 0 });
    const reached = rows === undefined ? () => follower.reached : () => Math.round((object.size * follower.reached) / Math.max(rows, 1));
    let summary: SparkSummary | undefined;
    // The follower has read the summary by the time the records are exhausted.
    const ended = () => (summary = this.logSummary(follower.summary!, object));
    try {
      if (!(await downloaded(input, signal))) return; // stopped while downloading: nothing yielded, resumable
      yield* this.cut(follower.records(), { header: () => summary?.header ?? job.header, bytes: reached, ended }, object, start, signal);
    } finally {
      await job.finish();
    }
  }

  /**
   * Ready the object for a new run: its staging folder, no job a dead loader left running on
   * it, no output of one; then its input staged (undefined when the load stopped meanwhile).
   */
  private async prepare(source: Source, site: JobSite, signal: AbortSignal): Promise<StagedInput | undefined> {
    mkdirSync(site.stage, { recursive: true });
    await stopLeftoverJob(site.stage, this.log);
    await site.out.remove();
    try {
      const input = await this.stager.stage(source, site.object, site.stage, signal);
      return signal.aborted ? undefined : input;
    } catch (e) {
      if (signal.aborted) return undefined; // stopped while downloading: nothing yielded, resumable
      throw e;
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
