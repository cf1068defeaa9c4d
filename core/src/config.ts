// Configuration: defaults < optional JSON config file < environment. The VARIABLES table
// is the one source for loading, validation messages and the README's reference
// (`pipewarden config --reference` prints it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from './errors';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, for example 127.0.0.1:9841');
const bool = z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean());
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const csvList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string()));

export const configSchema = z.object({
  runDir: z.string(),
  mysql: z.object({
    url: z.string().regex(/^mysql:\/\//, 'expected mysql://user[:password]@host:port/database'),
    password: z.string().optional(),
    connections: int(1, 64),
    writeMethod: z.enum(['auto', 'load-data', 'insert']),
  }),
  redis: z.object({ url: z.string().regex(/^rediss?:\/\//, 'expected redis://host:port[/db]'), keyPrefix: z.string().min(1) }),
  s3: z.object({
    endpoint: z.string().url().optional(),
    region: z.string().min(1),
    forcePathStyle: bool,
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
  }),
  source: z.string().optional(),
  engine: z.enum(['inline', 'spark']),
  wal: z.object({ dir: z.string(), fsync: z.enum(['always', 'batch', 'never']), segmentBytes: int(1 << 16, 1 << 30) }),
  batch: z.object({ size: int(1, 1_000_000), pipelineDepth: int(1, 16) }),
  mirror: z.object({ retentionBatches: int(1, 1_000_000), retentionSeconds: int(1, 30 * 86400), compress: bool }),
  spark: z.object({
    master: z.string().min(1),
    submit: z.string().min(1),
    python: z.string().min(1),
    s3a: bool,
    maxPartitionBytes: int(1 << 16, 1 << 30),
    driverMemory: z.string().regex(/^\d+[kmgt]?$/i, 'expected a JVM memory size such as 2g'),
    submitArgs: z.string(),
  }),
  loader: z.object({ listen: hostPort, url: z.string().url() }),
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
  { env: 'PIPEWARDEN_REDIS_URL', path: 'redis.url', default: 'redis://127.0.0.1:6379/0', description: 'Redis URL for the mirror.' },
  { env: 'PIPEWARDEN_REDIS_KEY_PREFIX', path: 'redis.keyPrefix', default: 'pw:', description: 'Prefix of every Redis key pipewarden writes.' },
  { env: 'PIPEWARDEN_S3_ENDPOINT', path: 's3.endpoint', description: 'S3 endpoint URL for MinIO or s3rver; unset for AWS.' },
  { env: 'PIPEWARDEN_S3_REGION', path: 's3.region', default: 'us-east-1', description: 'S3 region.' },
  { env: 'PIPEWARDEN_S3_FORCE_PATH_STYLE', path: 's3.forcePathStyle', default: 'false', description: 'Use path-style addressing (MinIO, s3rver).' },
  { env: 'PIPEWARDEN_S3_ACCESS_KEY_ID', path: 's3.accessKeyId', secret: true, description: 'S3 access key; unset to use the AWS default credential chain.' },
  { env: 'PIPEWARDEN_S3_SECRET_ACCESS_KEY', path: 's3.secretAccessKey', secret: true, description: 'S3 secret key (or PIPEWARDEN_S3_SECRET_ACCESS_KEY_FILE).' },
  { env: 'PIPEWARDEN_SOURCE', path: 'source', description: 'What to load: s3://bucket/prefix or a local file or folder.' },
  { env: 'PIPEWARDEN_ENGINE', path: 'engine', default: 'inline', description: 'inline (TypeScript, streaming) or spark (spark-submit loader/spark/transform.py).' },
  { env: 'PIPEWARDEN_WAL_DIR', path: 'wal.dir', description: 'Write-ahead log folder (default <run dir>/wal).' },
  { env: 'PIPEWARDEN_WAL_FSYNC', path: 'wal.fsync', default: 'batch', description: 'always (every record), batch (every intent; commits ride on the next) or never.' },
  { env: 'PIPEWARDEN_WAL_SEGMENT_BYTES', path: 'wal.segmentBytes', default: String(64 << 20), description: 'Roll the WAL to a new segment past this size.' },
  { env: 'PIPEWARDEN_BATCH_SIZE', path: 'batch.size', default: '5000', description: 'Input records per batch (one MySQL transaction, one mirror entry).' },
  { env: 'PIPEWARDEN_PIPELINE_DEPTH', path: 'batch.pipelineDepth', default: '2', description: 'Batches in flight at once (parse of batch n+1 overlaps the write of batch n).' },
  { env: 'PIPEWARDEN_MIRROR_RETENTION_BATCHES', path: 'mirror.retentionBatches', default: '200', description: 'Committed batches kept in the Redis mirror.' },
  { env: 'PIPEWARDEN_MIRROR_RETENTION_SECONDS', path: 'mirror.retentionSeconds', default: '3600', description: 'Committed batches older than this leave the mirror.' },
  { env: 'PIPEWARDEN_MIRROR_COMPRESS', path: 'mirror.compress', default: 'false', description: 'Deflate mirror entries (less Redis memory, more loader CPU).' },
  { env: 'PIPEWARDEN_SPARK_MASTER', path: 'spark.master', default: 'local[*]', description: 'Spark master: local[*], spark://host:7077, yarn or k8s://….' },
  { env: 'PIPEWARDEN_SPARK_SUBMIT', path: 'spark.submit', default: 'spark-submit', description: 'spark-submit executable (bootstrap installs one in .venv).' },
  { env: 'PIPEWARDEN_SPARK_PYTHON', path: 'spark.python', default: 'python3', description: 'Python interpreter for the Spark job.' },
  { env: 'PIPEWARDEN_SPARK_S3A', path: 'spark.s3a', default: 'false', description: 'Let the Spark job read s3a:// URIs itself (the cluster has the S3A connector) instead of staging objects.' },
  { env: 'PIPEWARDEN_SPARK_MAX_PARTITION_BYTES', path: 'spark.maxPartitionBytes', default: String(32 << 20), description: 'Bytes of input per Spark partition.' },
  { env: 'PIPEWARDEN_SPARK_DRIVER_MEMORY', path: 'spark.driverMemory', default: '2g', description: 'Driver memory of a local[*] Spark job.' },
  { env: 'PIPEWARDEN_SPARK_SUBMIT_ARGS', path: 'spark.submitArgs', default: '', description: 'Extra spark-submit options (space-separated), e.g. --conf settings of your cluster.' },
  { env: 'PIPEWARDEN_LOADER_LISTEN', path: 'loader.listen', default: '127.0.0.1:9842', description: 'Loader service listen address.' },
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
export function findStackEnv(start = process.cwd()): string | undefined {
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
  /** Fold in .run/stack.env when the environment configures no MySQL (default true). */
  useStackEnv?: boolean;
  cwd?: string;
  /** Values from CLI flags, by config path; they win over everything. */
  overrides?: Record<string, unknown>;
}

function readSecretFile(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new UserError(`cannot read ${name} "${path}": ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  let env: Record<string, string | undefined> = { ...(opts.env ?? process.env) };
  if (opts.useStackEnv !== false && !env.PIPEWARDEN_MYSQL_URL) {
    const stackEnv = findStackEnv(cwd);
    if (stackEnv) env = { ...parseEnvFile(readFileSync(stackEnv, 'utf8')), ...env };
  }
  for (const name of ['PIPEWARDEN_MYSQL_PASSWORD', 'PIPEWARDEN_TOKEN', 'PIPEWARDEN_S3_SECRET_ACCESS_KEY']) {
    const file = env[`${name}_FILE`];
    if (file && !env[name]) env[name] = readSecretFile(file, `${name}_FILE`);
  }
  if (!env.PIPEWARDEN_S3_ACCESS_KEY_ID && env.AWS_ACCESS_KEY_ID) env.PIPEWARDEN_S3_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  if (!env.PIPEWARDEN_S3_SECRET_ACCESS_KEY && env.AWS_SECRET_ACCESS_KEY) env.PIPEWARDEN_S3_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;

  const raw: Record<string, unknown> = {};
  for (const v of VARIABLES) if (v.default !== undefined) setPath(raw, v.path, v.default);
  const file = opts.file ?? env.PIPEWARDEN_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(resolve(cwd, file), 'utf8'));
    } catch (e) {
      throw new UserError(`cannot read config file "${file}": ${(e as Error).message}`);
    }
    for (const v of VARIABLES) {
      const val = getPath(parsed, v.path);
      if (val !== undefined) setPath(raw, v.path, val);
    }
  }
  for (const v of VARIABLES) {
    const val = env[v.env];
    if (val !== undefined && val !== '') setPath(raw, v.path, val);
  }
  for (const [path, val] of Object.entries(opts.overrides ?? {})) if (val !== undefined) setPath(raw, path, val);
  const runDir = resolve(cwd, String(raw.runDir));
  raw.runDir = runDir;
  if (getPath(raw, 'wal.dir') === undefined) setPath(raw, 'wal.dir', join(runDir, 'wal'));
  else setPath(raw, 'wal.dir', resolve(cwd, String(getPath(raw, 'wal.dir'))));

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const path = i.path.join('.');
      const v = VARIABLES.find((x) => x.path === path);
      const shown = v?.secret ? '(secret)' : JSON.stringify(getPath(raw, path));
      return `  ${v ? v.env : path} = ${shown}: ${i.message}`;
    });
    throw new UserError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** The token the services require; a clear error when it is missing. */
export function requireToken(config: Config): string {
  if (!config.token) {
    throw new UserError('no control token configured', 'set PIPEWARDEN_TOKEN or PIPEWARDEN_TOKEN_FILE (at least 16 characters); `pipewarden up` writes one to .run/stack.env');
  }
  return config.token;
}

/** A URL with its password replaced, for logs and status pages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
