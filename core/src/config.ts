// Configuration: defaults < optional JSON config file < environment. The VARIABLES table
// is the one source for loading, validation messages and the README's reference
// (`pipewarden config --reference` prints it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HOST_PORT } from './http';
import { UserError } from './errors';
import { SQL_NAME } from './db/schema';
import { DEFAULT_WAL_RETENTION_SECONDS } from './wal/log';

/** The pipeline of a configuration without `pipelines`: its state keeps the single-pipeline layout (WAL dir, mirror keys, batch ids). */
export const DEFAULT_PIPELINE = 'default';
export const PIPELINE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

const hostPort = z.string().regex(HOST_PORT, 'expected host:port, for example 127.0.0.1:9841');
const bool = z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean());
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A deadline: positive, fractions allowed (tests use short ones). */
const seconds = z.coerce.number().positive().max(86400);
/** A rate cap; 0 means none. */
const rate = z.coerce.number().min(0).max(1e12);
const csvList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string()));

/** A regular expression (JavaScript syntax), checked to compile. */
const regexText = z.string().refine((v) => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}, 'expected a regular expression (JavaScript syntax)');

/** One pipeline as the config file declares it: what it loads, with which spec, and its own settings (the rest is inherited). */
const pipelineSchema = z
  .object({
    name: z.string().regex(PIPELINE_NAME, 'expected a pipeline name: lower case letters, digits, - and _, at most 32'),
    source: z.string().min(1),
    sourceMatch: regexText.optional(),
    onChange: z.enum(['fail', 'skip', 'reload']).optional(),
    dataset: z.string().min(1),
    table: z.string().regex(SQL_NAME, 'expected a SQL name: lower case letters, digits and _').optional(),
    engine: z.enum(['inline', 'spark']).optional(),
    batch: z.object({ size: int(1, 1_000_000).optional(), pipelineDepth: int(1, 16).optional() }).strict().optional(),
    mysql: z.object({ connections: int(1, 64).optional() }).strict().optional(),
    rate: z.object({ rowsPerSecond: rate.optional(), bytesPerSecond: rate.optional() }).strict().optional(),
  })
  .strict();
export type PipelineDef = z.infer<typeof pipelineSchema>;

const configSchema = z.object({
  runDir: z.string(),
  mysql: z.object({
    url: z.string().regex(/^mysql:\/\//, 'expected mysql://user[:password]@host:port/database'),
    password: z.string().optional(),
    connections: int(1, 64),
    writeMethod: z.enum(['auto', 'load-data', 'insert']),
    deferIndexes: z.enum(['auto', 'never']),
    queryTimeoutSeconds: seconds,
  }),
  redis: z.object({
    url: z.string().regex(/^rediss?:\/\//, 'expected redis://host:port[/db]'),
    password: z.string().optional(),
    keyPrefix: z.string().min(1),
    commandTimeoutSeconds: seconds,
  }),
  s3: z.object({
    endpoint: z.string().url().optional(),
    region: z.string().min(1),
    forcePathStyle: bool,
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
    connectTimeoutSeconds: seconds,
    requestTimeoutSeconds: seconds,
  }),
  source: z.string().optional(),
  sourceMatch: regexText.optional(),
  /** What a load does with an object whose ETag changed since (or while) it was loaded (loader/src/load.ts). */
  onChange: z.enum(['fail', 'skip', 'reload']),
  dataset: z.string().min(1),
  /** Overrides the spec's table (one-off loads: --spec FILE --table T). */
  table: z.string().regex(SQL_NAME, 'expected a SQL name: lower case letters, digits and _').optional(),
  /** The pipeline this process works for (see core/src/pipelines.ts); `default` when the config names none. */
  pipeline: z.string().regex(PIPELINE_NAME, 'expected a pipeline name: lower case letters, digits, - and _, at most 32').default(DEFAULT_PIPELINE),
  /** Every pipeline of the deployment (config file only); absent = one pipeline, `default`, from the top-level settings. */
  pipelines: z.array(pipelineSchema).optional(),
  engine: z.enum(['inline', 'spark']),
  wal: z.object({ dir: z.string(), fsync: z.enum(['always', 'batch', 'never']), segmentBytes: int(1 << 16, 1 << 30), retentionSeconds: int(0, 30 * 86400) }),
  batch: z.object({ size: int(1, 1_000_000), pipelineDepth: int(1, 16) }),
  /** Load control on a shared MySQL (loader/src/throttle.ts): caps per pipeline and in total, across every loader; 0 = none. */
  rate: z.object({ rowsPerSecond: rate, bytesPerSecond: rate, totalRowsPerSecond: rate, totalBytesPerSecond: rate, busyThreadsRunning: int(0, 100_000), replicaUrl: z.union([z.literal(''), z.string().regex(/^mysql:\/\//, 'expected mysql://user[:password]@host:port/database')]), maxReplicaLagSeconds: z.coerce.number().min(0).max(86400) }),
  mirror: z.object({ retentionBatches: int(1, 1_000_000), retentionSeconds: int(1, 30 * 86400), compress: bool }),
  spark: z.object({
    master: z.string().min(1),
    submit: z.string().min(1),
    python: z.string().min(1),
    s3a: bool,
    /** s3://bucket/prefix/ where the job writes its output through s3a; empty: a folder of the run directory. */
    outputUrl: z.union([z.literal(''), z.string().regex(/^s3:\/\/[^/]+/, 'expected s3://bucket/prefix/')]),
    maxPartitionBytes: int(1 << 16, 1 << 30),
    driverMemory: z.string().regex(/^\d+[kmgt]?$/i, 'expected a JVM memory size such as 2g'),
    submitArgs: z.string(),
  }),
  loader: z.object({ listen: hostPort, url: z.string().url(), worker: z.string().regex(/^[A-Za-z0-9._:@/-]{1,100}$/, 'expected a worker name: letters, digits and . _ : @ / -, at most 100').optional(), leaseSeconds: z.coerce.number().min(2).max(3600), rangeBytes: int(0, 2 ** 50), listWindow: int(1, 10_000_000) }),
  reconciler: z.object({ listen: hostPort, url: z.string().url(), watchdog: bool, watchdogIntervalSeconds: z.coerce.number().positive(), alertNames: csvList }),
  exporter: z.object({ listen: hostPort, url: z.string().url() }),
  token: z.string().min(16, 'expected at least 16 characters').optional(),
});

export type Config = z.infer<typeof configSchema>;

export interface Variable {
  env: string;
  path: string;
  default?: string;
  secret?: boolean;
  description: string;
}

export const VARIABLES: Variable[] = [
  { env: 'PIPEWARDEN_RUN_DIR', path: 'runDir', default: '.run', description: 'Folder for the local stack, the WAL (unless PIPEWARDEN_WAL_DIR) and runtime files.' },
  { env: 'PIPEWARDEN_MYSQL_URL', path: 'mysql.url', default: 'mysql://root@127.0.0.1:3306/pipewarden', description: 'MySQL/MariaDB connection URL. The password may instead come from PIPEWARDEN_MYSQL_PASSWORD(_FILE).' },
  { env: 'PIPEWARDEN_MYSQL_PASSWORD', path: 'mysql.password', secret: true, description: 'MySQL password (overrides the URL\'s). Prefer PIPEWARDEN_MYSQL_PASSWORD_FILE.' },
  { env: 'PIPEWARDEN_MYSQL_CONNECTIONS', path: 'mysql.connections', default: '4', description: 'Size of the MySQL connection pool.' },
  { env: 'PIPEWARDEN_MYSQL_WRITE_METHOD', path: 'mysql.writeMethod', default: 'auto', description: 'auto (LOAD DATA LOCAL INFILE when the server allows it, else INSERT), load-data or insert.' },
  { env: 'PIPEWARDEN_MYSQL_DEFER_INDEXES', path: 'mysql.deferIndexes', default: 'auto', description: 'auto (a load into an empty table drops the spec\'s secondary indexes and builds them in one pass when it finishes, also after an interruption) or never.' },
  { env: 'PIPEWARDEN_MYSQL_QUERY_TIMEOUT_SECONDS', path: 'mysql.queryTimeoutSeconds', default: '300', description: 'Deadline of every MySQL statement (generous: a batch\'s LOAD DATA must fit); a stalled server fails the statement instead of hanging.' },
  { env: 'PIPEWARDEN_REDIS_URL', path: 'redis.url', default: 'redis://127.0.0.1:6379/0', description: 'Redis URL for the mirror. The password may instead come from PIPEWARDEN_REDIS_PASSWORD(_FILE).' },
  { env: 'PIPEWARDEN_REDIS_PASSWORD', path: 'redis.password', secret: true, description: 'Redis password (overrides the URL\'s). Prefer PIPEWARDEN_REDIS_PASSWORD_FILE.' },
  { env: 'PIPEWARDEN_REDIS_KEY_PREFIX', path: 'redis.keyPrefix', default: 'pw:', description: 'Prefix of every Redis key pipewarden writes.' },
  { env: 'PIPEWARDEN_REDIS_COMMAND_TIMEOUT_SECONDS', path: 'redis.commandTimeoutSeconds', default: '30', description: 'Deadline of every Redis command (a batch\'s mirror write must fit).' },
  { env: 'PIPEWARDEN_S3_ENDPOINT', path: 's3.endpoint', description: 'S3 endpoint URL for MinIO or s3rver; unset for AWS.' },
  { env: 'PIPEWARDEN_S3_REGION', path: 's3.region', default: 'us-east-1', description: 'S3 region.' },
  { env: 'PIPEWARDEN_S3_FORCE_PATH_STYLE', path: 's3.forcePathStyle', default: 'false', description: 'Use path-style addressing (MinIO, s3rver).' },
  { env: 'PIPEWARDEN_S3_ACCESS_KEY_ID', path: 's3.accessKeyId', secret: true, description: 'S3 access key; unset to use the AWS default credential chain.' },
  { env: 'PIPEWARDEN_S3_SECRET_ACCESS_KEY', path: 's3.secretAccessKey', secret: true, description: 'S3 secret key (or PIPEWARDEN_S3_SECRET_ACCESS_KEY_FILE).' },
  { env: 'PIPEWARDEN_S3_CONNECT_TIMEOUT_SECONDS', path: 's3.connectTimeoutSeconds', default: '10', description: 'Deadline for a TCP connection to S3.' },
  { env: 'PIPEWARDEN_S3_REQUEST_TIMEOUT_SECONDS', path: 's3.requestTimeoutSeconds', default: '60', description: 'How long an S3 socket may stay silent (a stalled object body included) before the request fails; the loader resumes from the last byte.' },
  { env: 'PIPEWARDEN_SOURCE', path: 'source', description: 'What to load: s3://bucket/prefix or a local file or folder; a glob in it selects objects (s3://bucket/raw/fy20*/**/*.csv.gz).' },
  { env: 'PIPEWARDEN_ON_CHANGE', path: 'onChange', default: 'fail', description: 'An object whose ETag changed since (or while) it was loaded: fail (stop the load, write nothing of it), skip (log and count it, keep what was loaded), or reload (load the new version as a new object version through the duplicate policy; the old version\'s batches stay).' },
  { env: 'PIPEWARDEN_SOURCE_MATCH', path: 'sourceMatch', description: 'Load only the objects whose key (without s3://bucket/; for files, the path under the source folder) matches this regular expression.' },
  { env: 'PIPEWARDEN_DATASET', path: 'dataset', default: 'builtin:nyc-parking-violations', description: 'The dataset spec (YAML or JSON file, or builtin:NAME) that says what the source\'s CSV holds and which table it goes to.' },
  { env: 'PIPEWARDEN_TABLE', path: 'table', description: 'Load into this table instead of the spec\'s (one-off loads; `--table`).' },
  { env: 'PIPEWARDEN_PIPELINE', path: 'pipeline', description: 'Which pipeline of the config file\'s `pipelines` a command works on (`--pipeline`); services run them all.' },
  { env: 'PIPEWARDEN_ENGINE', path: 'engine', default: 'inline', description: 'inline (TypeScript, streaming) or spark (spark-submit loader/src/engine/spark/job/transform.py).' },
  { env: 'PIPEWARDEN_WAL_DIR', path: 'wal.dir', description: 'Write-ahead log folder (default <run dir>/wal).' },
  { env: 'PIPEWARDEN_WAL_FSYNC', path: 'wal.fsync', default: 'batch', description: 'always (every record), batch (every intent; commits ride on the next) or never.' },
  { env: 'PIPEWARDEN_WAL_SEGMENT_BYTES', path: 'wal.segmentBytes', default: String(64 << 20), description: 'Roll the WAL to a new segment past this size.' },
  { env: 'PIPEWARDEN_WAL_RETENTION_SECONDS', path: 'wal.retentionSeconds', default: String(DEFAULT_WAL_RETENTION_SECONDS), description: 'Resolved WAL segments are kept while they hold records newer than this: a MySQL with innodb_flush_log_at_trx_commit=0/2 can lose its last ~1 s of commits in a host crash, and the reconciler checks the WAL\'s commits against the ledger.' },
  { env: 'PIPEWARDEN_BATCH_SIZE', path: 'batch.size', default: '5000', description: 'Input records per batch (one MySQL transaction, one mirror entry). An object with batches in the ledger keeps the size it was begun with.' },
  { env: 'PIPEWARDEN_PIPELINE_DEPTH', path: 'batch.pipelineDepth', default: '2', description: 'Batches in flight at once (parse of batch n+1 overlaps the write of batch n).' },
  { env: 'PIPEWARDEN_RATE_ROWS_PER_SECOND', path: 'rate.rowsPerSecond', default: '0', description: 'Cap on the rows a pipeline writes to MySQL per second, shared by every loader of it (a token bucket in Redis); 0 = none. A pipeline in the config file may set its own (`rate.rowsPerSecond`).' },
  { env: 'PIPEWARDEN_RATE_BYTES_PER_SECOND', path: 'rate.bytesPerSecond', default: '0', description: 'Cap on the bytes of rows a pipeline sends to MySQL per second, shared by every loader of it; 0 = none.' },
  { env: 'PIPEWARDEN_RATE_TOTAL_ROWS_PER_SECOND', path: 'rate.totalRowsPerSecond', default: '0', description: 'Cap on the rows every pipeline of the deployment writes per second together, across every loader; 0 = none.' },
  { env: 'PIPEWARDEN_RATE_TOTAL_BYTES_PER_SECOND', path: 'rate.totalBytesPerSecond', default: '0', description: 'Cap on the bytes every pipeline sends to MySQL per second together; 0 = none.' },
  { env: 'PIPEWARDEN_BUSY_THREADS_RUNNING', path: 'rate.busyThreadsRunning', default: '0', description: 'Back off while MySQL\'s Threads_running is above this (a struggling server): loaders wait before each batch until it drops; 0 = never.' },
  { env: 'PIPEWARDEN_REPLICA_URL', path: 'rate.replicaUrl', default: '', description: 'A replica of the target MySQL to watch (mysql://…; reached with PIPEWARDEN_MYSQL_PASSWORD unless its URL has a password): loaders wait before each batch while its lag is above PIPEWARDEN_MAX_REPLICA_LAG_SECONDS. Empty = none.' },
  { env: 'PIPEWARDEN_MAX_REPLICA_LAG_SECONDS', path: 'rate.maxReplicaLagSeconds', default: '10', description: 'Back off while the watched replica (PIPEWARDEN_REPLICA_URL) is more than this many seconds behind (Seconds_Behind_Master).' },
  { env: 'PIPEWARDEN_MIRROR_RETENTION_BATCHES', path: 'mirror.retentionBatches', default: '200', description: 'Committed batches kept in the Redis mirror.' },
  { env: 'PIPEWARDEN_MIRROR_RETENTION_SECONDS', path: 'mirror.retentionSeconds', default: '3600', description: 'Committed batches older than this leave the mirror.' },
  { env: 'PIPEWARDEN_MIRROR_COMPRESS', path: 'mirror.compress', default: 'false', description: 'Deflate mirror entries (less Redis memory, more loader CPU).' },
  { env: 'PIPEWARDEN_SPARK_MASTER', path: 'spark.master', default: 'local[*]', description: 'Spark master: local[*], spark://host:7077, yarn or k8s://….' },
  { env: 'PIPEWARDEN_SPARK_SUBMIT', path: 'spark.submit', default: 'spark-submit', description: 'spark-submit executable (bootstrap installs one in .venv).' },
  { env: 'PIPEWARDEN_SPARK_PYTHON', path: 'spark.python', default: 'python3', description: 'Python interpreter for the Spark job.' },
  { env: 'PIPEWARDEN_SPARK_S3A', path: 'spark.s3a', default: 'false', description: 'Let the Spark job read s3a:// URIs itself (the cluster has the S3A connector) instead of staging objects.' },
  { env: 'PIPEWARDEN_SPARK_OUTPUT_URL', path: 'spark.outputUrl', default: '', description: 'Where the Spark job writes its output: s3://bucket/prefix/ (written through s3a, followed by the loader from S3: a cluster that shares no disk with the loader; the cluster needs the S3A connector and S3 credentials of its own), or empty for a folder of the run directory. Each object\'s output is removed once it is loaded.' },
  { env: 'PIPEWARDEN_SPARK_MAX_PARTITION_BYTES', path: 'spark.maxPartitionBytes', default: String(32 << 20), description: 'Bytes of input per Spark partition.' },
  { env: 'PIPEWARDEN_SPARK_DRIVER_MEMORY', path: 'spark.driverMemory', default: '2g', description: 'Driver memory of a local[*] Spark job.' },
  { env: 'PIPEWARDEN_SPARK_SUBMIT_ARGS', path: 'spark.submitArgs', default: '', description: 'Extra spark-submit options (space-separated), e.g. --conf settings of your cluster.' },
  { env: 'PIPEWARDEN_LOADER_LISTEN', path: 'loader.listen', default: '127.0.0.1:9842', description: 'Loader service listen address.' },
  { env: 'PIPEWARDEN_WORKER', path: 'loader.worker', description: 'This loader\'s name among the loaders sharing a source (object leases); default <hostname>/<pid>. Each process gets a unique suffix.' },
  { env: 'PIPEWARDEN_LIST_WINDOW', path: 'loader.listWindow', default: '10000', description: 'Objects a load lists, plans and proves at a time, in key order: a source of millions of objects is never held whole in memory (nor in the checkpoint, which keeps only the window in progress).' },
  { env: 'PIPEWARDEN_RANGE_BYTES', path: 'loader.rangeBytes', default: '0', description: 'Cut an object larger than this into ranges of about this many bytes (whole batches), so several loaders load it at once; 0 = every object is loaded whole by one loader.' },
  { env: 'PIPEWARDEN_LEASE_SECONDS', path: 'loader.leaseSeconds', default: '30', description: 'How long a loader\'s claim on an object lasts without renewal (renewed every third of it while it works); after that another loader may take the object over and resume it from the ledger.' },
  { env: 'PIPEWARDEN_LOADER_URL', path: 'loader.url', default: 'http://127.0.0.1:9842', description: 'Where the reconciler and exporter reach the loader service.' },
  { env: 'PIPEWARDEN_RECONCILER_LISTEN', path: 'reconciler.listen', default: '127.0.0.1:9843', description: 'Reconciler service listen address.' },
  { env: 'PIPEWARDEN_RECONCILER_URL', path: 'reconciler.url', default: 'http://127.0.0.1:9843', description: 'Where the exporter and Grafana reach the reconciler.' },
  { env: 'PIPEWARDEN_WATCHDOG', path: 'reconciler.watchdog', default: 'true', description: 'Reconcile automatically when MySQL comes back after an outage.' },
  { env: 'PIPEWARDEN_WATCHDOG_INTERVAL_SECONDS', path: 'reconciler.watchdogIntervalSeconds', default: '1', description: 'How often the watchdog probes MySQL.' },
  { env: 'PIPEWARDEN_ALERT_NAMES', path: 'reconciler.alertNames', default: 'PipewardenMySQLDown,PipewardenBatchesInDoubt', description: 'Alertmanager alert names that trigger a reconcile (comma-separated).' },
  { env: 'PIPEWARDEN_EXPORTER_LISTEN', path: 'exporter.listen', default: '127.0.0.1:9841', description: 'Exporter listen address (/metrics).' },
  { env: 'PIPEWARDEN_EXPORTER_URL', path: 'exporter.url', default: 'http://127.0.0.1:9841', description: 'Where other tools reach the exporter.' },
  { env: 'PIPEWARDEN_TOKEN', path: 'token', secret: true, description: 'Bearer token for control endpoints (or PIPEWARDEN_TOKEN_FILE). Required by the services.' },
];

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), obj);
}

/** Parse a dotenv-style file (KEY=value, # comments, optional quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"'))) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

/** Nearest `.run/stack.env` from `start` upwards (written by `pipewarden up`). */
function findStackEnv(start = process.cwd()): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const f = join(dir, '.run', 'stack.env');
    if (existsSync(f)) return f;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; PIPEWARDEN_CONFIG otherwise. */
  file?: string;
  /**
   * Fold in a stack.env (default true): `<run dir>/stack.env` when the run directory is set
   * explicitly (PIPEWARDEN_RUN_DIR or the config file's runDir), else the nearest
   * `.run/stack.env` upwards when the environment configures no MySQL.
   */
  useStackEnv?: boolean;
  cwd?: string;
  /** Values from CLI flags, by config path; they win over everything. */
  overrides?: Record<string, unknown>;
}

/**
 * Where a value came from: "default", "config file <path>", "<path of a stack.env>",
 * "environment" (or "environment (NAME_FILE)" for a secret read from a file) or "flag".
 */
type ConfigSources = Record<string, string>;

export interface LoadedConfig {
  config: Config;
  /** By config path (see VARIABLES), for every value that is set. */
  sources: ConfigSources;
}

function readSecretFile(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new UserError(`cannot read ${name} "${path}": ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** The config file: JSON, or YAML when it is named .yaml/.yml. */
function readConfigFile(path: string): unknown {
  try {
    const text = readFileSync(path, 'utf8');
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UserError(`cannot read config file "${path}": ${(e as Error).message}`);
  }
}

/**
 * The stack.env to fold in, if any. An explicit run directory names the stack: only its
 * own stack.env may configure it, never one discovered below the working folder (that
 * would be another stack's, with another WAL and checkpoint).
 */
function chooseStackEnv(explicitRunDir: string | undefined, env: Record<string, string | undefined>, cwd: string): string | undefined {
  if (explicitRunDir !== undefined) {
    const own = join(resolve(cwd, explicitRunDir), 'stack.env');
    return existsSync(own) ? own : undefined;
  }
  return env.PIPEWARDEN_MYSQL_URL ? undefined : findStackEnv(cwd);
}

const SECRET_FILES = ['PIPEWARDEN_MYSQL_PASSWORD', 'PIPEWARDEN_REDIS_PASSWORD', 'PIPEWARDEN_TOKEN', 'PIPEWARDEN_S3_SECRET_ACCESS_KEY'];

/** The configuration and where each value came from (`pipewarden config` shows both). */
export function loadConfigWithSources(opts: LoadConfigOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const given: Record<string, string | undefined> = { ...(opts.env ?? process.env) };
  const fileName = opts.file ?? given.PIPEWARDEN_CONFIG;
  const filePath = fileName ? resolve(cwd, fileName) : undefined;
  const fileValues = filePath ? readConfigFile(filePath) : undefined;

  // Each variable's value and its origin: a stack.env under the environment.
  const env = new Map<string, { value: string; from: string }>();
  const explicitRunDir = opts.overrides?.runDir ?? given.PIPEWARDEN_RUN_DIR ?? getPath(fileValues, 'runDir');
  const stackEnv = opts.useStackEnv === false ? undefined : chooseStackEnv(explicitRunDir === undefined ? undefined : String(explicitRunDir), given, cwd);
  if (stackEnv) for (const [k, v] of Object.entries(parseEnvFile(readFileSync(stackEnv, 'utf8')))) env.set(k, { value: v, from: stackEnv });
  for (const [k, v] of Object.entries(given)) if (v !== undefined && v !== '') env.set(k, { value: v, from: 'environment' });
  for (const name of SECRET_FILES) {
    const file = env.get(`${name}_FILE`);
    if (file && !env.has(name)) env.set(name, { value: readSecretFile(file.value, `${name}_FILE`), from: file.from === 'environment' ? `environment (${name}_FILE)` : `${file.from} (${name}_FILE)` });
  }
  for (const [ours, aws] of [['PIPEWARDEN_S3_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID'], ['PIPEWARDEN_S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY']]) {
    const v = env.get(aws);
    if (!env.has(ours) && v) env.set(ours, { value: v.value, from: `${v.from} (${aws})` });
  }

  const raw: Record<string, unknown> = {};
  const sources: ConfigSources = {};
  const set = (path: string, value: unknown, from: string) => {
    setPath(raw, path, value);
    sources[path] = from;
  };
  for (const v of VARIABLES) if (v.default !== undefined) set(v.path, v.default, 'default');
  for (const v of VARIABLES) {
    const val = getPath(fileValues, v.path);
    if (val !== undefined) set(v.path, val, `config file ${filePath}`);
  }
  for (const v of VARIABLES) {
    const val = env.get(v.env);
    if (val) set(v.path, val.value, val.from);
  }
  const filePipelines = getPath(fileValues, 'pipelines');
  if (filePipelines !== undefined) set('pipelines', filePipelines, `config file ${filePath}`);
  for (const [path, val] of Object.entries(opts.overrides ?? {})) if (val !== undefined) set(path, val, 'flag');
  const runDir = resolve(cwd, String(raw.runDir));
  raw.runDir = runDir;
  if (getPath(raw, 'wal.dir') === undefined) set('wal.dir', join(runDir, 'wal'), 'default (<run dir>/wal)');
  else setPath(raw, 'wal.dir', resolve(cwd, String(getPath(raw, 'wal.dir'))));

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const path = i.path.join('.');
      const v = VARIABLES.find((x) => x.path === path);
      const shown = v?.secret ? '(secret)' : JSON.stringify(getPath(raw, path));
      const from = sources[path] && sources[path] !== 'environment' ? ` (from ${sources[path]})` : '';
      return `  ${v ? v.env : path} = ${shown}${from}: ${i.message}`;
    });
    throw new UserError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return { config: result.data, sources };
}

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  return loadConfigWithSources(opts).config;
}

/** The token the services require; a clear error when it is missing. */
export function requireToken(config: Config): string {
  if (!config.token) {
    throw new UserError('no control token configured', 'set PIPEWARDEN_TOKEN or PIPEWARDEN_TOKEN_FILE (at least 16 characters); `pipewarden up` writes one to .run/stack.env');
  }
  return config.token;
}

/**
 * A URL with its password replaced, for logs, status pages and `pipewarden config`: the one
 * redaction every shown URL goes through. Covers `redis://:pw@h` (no user), an unencoded
 * `@` inside the password, and a `password=` query parameter (ioredis reads those too).
 */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!m) return url;
  const [, scheme, authority, rest] = m;
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? '' : authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const shownAuthority = colon < 0 ? authority : `${userinfo.slice(0, colon)}:***${authority.slice(at)}`;
  return `${scheme}${shownAuthority}${rest.replace(/([?&](?:password|pass|pwd|secret|token)=)[^&#]*/gi, '$1***')}`;
}

/** The configuration as it may be shown: every URL redacted, every secret as ***. */
export function redactedConfig(config: Config): Config {
  const shown = JSON.parse(JSON.stringify(config)) as Config;
  for (const v of VARIABLES) {
    const val = getPath(shown, v.path);
    if (v.secret && val !== undefined) setPath(shown as unknown as Record<string, unknown>, v.path, '***');
    else if (typeof val === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(val)) setPath(shown as unknown as Record<string, unknown>, v.path, redactUrl(val));
  }
  return shown;
}
