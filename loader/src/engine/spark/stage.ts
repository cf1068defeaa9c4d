// Where the Spark job reads an object from: a local file where it is, an s3a:// URI when the
// cluster reads S3 itself (PIPEWARDEN_SPARK_S3A), else a copy in the object's staging folder
// (downloaded while the JVM starts; a compressed object decoded first, ../../source/decode.ts).
// A Parquet object also gets the plan its rows are read by (./parquet.ts).
import { closeSync, createWriteStream, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError, s3Endpoint, type Config, type Logger, type RowRules } from '@pipewarden/core';
import type { Source, SourceObject } from '../../source/types';
import { writeSparkParquetPlan } from './parquet';

/**
 * spark-submit settings for the S3A connector (hadoop-aws on the cluster's classpath): the
 * endpoint and path style; credentials go by environment to the driver (S3A's
 * EnvironmentVariableCredentialsProvider), never on a command line. The executors of a
 * cluster get theirs by the cluster's own means (instance profiles, the workers' environment).
 */
export function s3aSettings(config: Config): { submitArgs: string[]; env: NodeJS.ProcessEnv } {
  const s3 = s3Endpoint(config);
  const submitArgs: string[] = [];
  if (s3.endpoint) submitArgs.push('--conf', `spark.hadoop.fs.s3a.endpoint=${s3.endpoint}`);
  if (s3.forcePathStyle) submitArgs.push('--conf', 'spark.hadoop.fs.s3a.path.style.access=true');
  const env: NodeJS.ProcessEnv = { AWS_REGION: s3.region };
  if (s3.credentials) Object.assign(env, { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });
  return { submitArgs, env };
}

export interface StagedInput {
  uri: string;
  finalNewline: boolean;
  /** A Parquet object: its plan for the job (./parquet.ts). */
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

/** Whether the object the job waits for is downloaded (at once when it needed no download); false when the load stopped meanwhile. */
export async function downloaded(input: StagedInput, signal: AbortSignal): Promise<boolean> {
  if (!input.download) return true;
  try {
    await input.download;
    return true;
  } catch (e) {
    if (signal.aborted) return false;
    throw e;
  }
}

/** Stages objects for the job of one configuration and dataset. */
export class InputStager {
  constructor(
    private readonly config: Config,
    private readonly rules: RowRules,
    private readonly log: Logger,
  ) {}

  /** Where Spark reads the object from (`stage`: the object's staging folder). */
  async stage(source: Source, object: SourceObject, stage: string, signal: AbortSignal): Promise<StagedInput> {
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
}
