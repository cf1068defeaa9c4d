// The local stack shared by `pipewarden up`, the demo and the tests: private MariaDB,
// Redis, an S3 server and (where installed) Prometheus and Alertmanager, on free ports,
// with everything under one folder. Its addresses go to <dir>/stack.env in the variables
// every pipewarden command reads.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import Redis from 'ioredis';
import { connect, loadConfig, migrate, parseMysqlUrl, type Config } from '@pipewarden/core';
import { freePort, portIsFree } from './process';
import { MariaDb } from './services/mariadb';
import { RedisServer } from './services/redis';
import { S3Server, S3RVER_CREDENTIALS } from './services/s3';
import { AlertmanagerServer, PrometheusServer } from './services/prometheus';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export type ServiceName = 'mariadb' | 'redis' | 's3' | 'prometheus' | 'alertmanager';

export interface StackLayout {
  dir: string;
  ports: Record<ServiceName | 'loader' | 'reconciler' | 'exporter', number>;
  token: string;
  bucket: string;
  mariadb: { flushLogAtTrxCommit: 0 | 1 | 2; bufferPool: string; settings?: Record<string, string | number> };
  redisPersistent: boolean;
}

export interface StackOptions {
  dir: string;
  services?: ServiceName[];
  /** Fixed default ports for the pipewarden services when free (for `up`); free ports otherwise. */
  preferDefaultPorts?: boolean;
  flushLogAtTrxCommit?: 0 | 1 | 2;
  bufferPool?: string;
  /** More mariadbd settings (`name: value`, as in my.cnf), e.g. a bulk-load sizing. */
  mariadbSettings?: Record<string, string | number>;
  redisPersistent?: boolean;
  /** Scrape/evaluation interval of the stack's Prometheus. */
  prometheusInterval?: string;
}

/**
 * The preferred port when free, else a free port below Linux's ephemeral range (32768+). The loader, reconciler and exporter
 * ports are chosen now but bound later (or never, when a test runs the CLI instead): in
 * the ephemeral range any process's `listen(0)` could take one meanwhile, and a request
 * meant for the loader would reach a stranger.
 */
async function pickPort(preferred: number | undefined, taken: Set<number>): Promise<number> {
  const candidates = [...(preferred !== undefined ? [preferred] : []), ...Array.from({ length: 100 }, () => 20000 + Math.floor(Math.random() * 12000))];
  for (const port of candidates) {
    if (!taken.has(port) && (await portIsFree(port))) {
      taken.add(port);
      return port;
    }
  }
  const port = await freePort();
  taken.add(port);
  return port;
}

export class Stack {
  readonly mariadb: MariaDb;
  readonly redis: RedisServer;
  readonly s3: S3Server;
  readonly prometheus?: PrometheusServer;
  readonly alertmanager?: AlertmanagerServer;

  private constructor(readonly layout: StackLayout, readonly services: ServiceName[], prometheusInterval = '5s') {
    const d = (n: string) => join(layout.dir, n);
    this.mariadb = new MariaDb({ dir: d('mariadb'), port: layout.ports.mariadb, flushLogAtTrxCommit: layout.mariadb.flushLogAtTrxCommit, bufferPool: layout.mariadb.bufferPool, settings: layout.mariadb.settings });
    this.redis = new RedisServer({ dir: d('redis'), port: layout.ports.redis, persistent: layout.redisPersistent });
    this.s3 = new S3Server({ dir: d('s3'), port: layout.ports.s3 });
    if (services.includes('prometheus') && PrometheusServer.available()) {
      this.prometheus = new PrometheusServer({ dir: d('prometheus'), port: layout.ports.prometheus, config: prometheusConfig(layout, prometheusInterval) });
    }
    if (services.includes('alertmanager') && AlertmanagerServer.available()) {
      this.alertmanager = new AlertmanagerServer({ dir: d('alertmanager'), port: layout.ports.alertmanager, config: alertmanagerConfig(layout) });
    }
  }

  /** Create (or reopen, keeping ports and token) the stack under `opts.dir`. */
  static async create(opts: StackOptions): Promise<Stack> {
    const dir = resolve(opts.dir);
    mkdirSync(dir, { recursive: true });
    const layoutFile = join(dir, 'stack.json');
    const services = opts.services ?? ['mariadb', 'redis', 's3', 'prometheus', 'alertmanager'];
    let layout: StackLayout;
    if (existsSync(layoutFile)) {
      layout = JSON.parse(readFileSync(layoutFile, 'utf8')) as StackLayout;
    } else {
      const pref = opts.preferDefaultPorts;
      const taken = new Set<number>();
      layout = {
        dir,
        ports: {
          mariadb: await pickPort(pref ? 3406 : undefined, taken),
          redis: await pickPort(pref ? 6479 : undefined, taken),
          s3: await pickPort(pref ? 4568 : undefined, taken),
          prometheus: await pickPort(pref ? 9490 : undefined, taken),
          alertmanager: await pickPort(pref ? 9493 : undefined, taken),
          exporter: await pickPort(pref ? 9841 : undefined, taken),
          loader: await pickPort(pref ? 9842 : undefined, taken),
          reconciler: await pickPort(pref ? 9843 : undefined, taken),
        },
        token: randomBytes(24).toString('hex'),
        bucket: 'nyc-parking',
        mariadb: { flushLogAtTrxCommit: opts.flushLogAtTrxCommit ?? 1, bufferPool: opts.bufferPool ?? '256M', settings: opts.mariadbSettings },
        redisPersistent: opts.redisPersistent ?? false,
      };
      writeFileSync(layoutFile, JSON.stringify(layout, null, 2));
    }
    const stack = new Stack(layout, services, opts.prometheusInterval);
    stack.writeEnv();
    return stack;
  }

  static exists(dir: string): boolean {
    return existsSync(join(resolve(dir), 'stack.json'));
  }

  /** The variables every pipewarden command reads. */
  get env(): Record<string, string> {
    const { ports, token, dir } = this.layout;
    const env: Record<string, string> = {
      PIPEWARDEN_RUN_DIR: dir,
      PIPEWARDEN_MYSQL_URL: this.mariadb.url,
      PIPEWARDEN_REDIS_URL: this.redis.url,
      PIPEWARDEN_S3_ENDPOINT: this.s3.endpoint,
      PIPEWARDEN_S3_REGION: 'us-east-1',
      PIPEWARDEN_S3_FORCE_PATH_STYLE: 'true',
      PIPEWARDEN_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      PIPEWARDEN_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      PIPEWARDEN_SOURCE: `s3://${this.layout.bucket}/`,
      PIPEWARDEN_WAL_DIR: join(dir, 'wal'),
      PIPEWARDEN_LOADER_LISTEN: `127.0.0.1:${ports.loader}`,
      PIPEWARDEN_LOADER_URL: `http://127.0.0.1:${ports.loader}`,
      PIPEWARDEN_RECONCILER_LISTEN: `127.0.0.1:${ports.reconciler}`,
      PIPEWARDEN_RECONCILER_URL: `http://127.0.0.1:${ports.reconciler}`,
      PIPEWARDEN_EXPORTER_LISTEN: `127.0.0.1:${ports.exporter}`,
      PIPEWARDEN_EXPORTER_URL: `http://127.0.0.1:${ports.exporter}`,
      PIPEWARDEN_TOKEN: token,
      PIPEWARDEN_PROMETHEUS_URL: `http://127.0.0.1:${ports.prometheus}`,
      PIPEWARDEN_ALERTMANAGER_URL: `http://127.0.0.1:${ports.alertmanager}`,
    };
    const venvSpark = join(REPO_ROOT, '.venv', 'bin', 'spark-submit');
    if (existsSync(venvSpark)) {
      env.PIPEWARDEN_SPARK_SUBMIT = venvSpark;
      env.PIPEWARDEN_SPARK_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
    }
    return env;
  }

  writeEnv(): void {
    const lines = Object.entries(this.env).map(([k, v]) => `${k}=${v}`);
    writeFileSync(join(this.layout.dir, 'stack.env'), `# written by pipewarden up; \`set -a; . ${join(this.layout.dir, 'stack.env')}\` configures any command\n${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /** A Config for this stack (plus overrides by config path). */
  config(overrides: Record<string, unknown> = {}): Config {
    return loadConfig({ env: { ...this.env }, useStackEnv: false, overrides });
  }

  private managed(): { name: ServiceName; svc: { start(): Promise<void>; stop(): Promise<void>; proc: { running(): boolean; pid?: number } } }[] {
    const all = [
      { name: 'mariadb' as const, svc: this.mariadb },
      { name: 'redis' as const, svc: this.redis },
      { name: 's3' as const, svc: this.s3 },
      ...(this.prometheus ? [{ name: 'prometheus' as const, svc: this.prometheus }] : []),
      ...(this.alertmanager ? [{ name: 'alertmanager' as const, svc: this.alertmanager }] : []),
    ];
    return all.filter((s) => this.services.includes(s.name));
  }

  /** Empty the pipeline: database dropped and migrated again, WAL removed, Redis flushed. */
  async resetData(config: Config = this.config()): Promise<void> {
    const { database } = parseMysqlUrl(config.mysql.url);
    const c = await connect(config, false);
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await c.end();
    }
    await migrate(config);
    rmSync(config.wal.dir, { recursive: true, force: true });
    const r = new Redis(this.redis.url);
    try {
      await r.flushdb();
    } finally {
      r.disconnect();
    }
  }

  /**
   * Durability of the running stack (and of later restarts on the same data): MariaDB's
   * innodb_flush_log_at_trx_commit and Redis's AOF. stack.json keeps the creation values.
   */
  async setDurability(d: { flushLogAtTrxCommit: 0 | 1 | 2; redisPersistent: boolean }): Promise<void> {
    await this.mariadb.setFlushLogAtTrxCommit(d.flushLogAtTrxCommit);
    await this.redis.setPersistent(d.redisPersistent);
  }

  async start(onStarted?: (name: ServiceName) => void): Promise<void> {
    await Promise.all(
      this.managed().map(async ({ name, svc }) => {
        await svc.start();
        onStarted?.(name);
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.managed().map(({ svc }) => svc.stop()));
  }

  status(): { name: ServiceName; running: boolean; pid?: number; address: string }[] {
    const addr: Record<ServiceName, string> = {
      mariadb: this.mariadb.url,
      redis: this.redis.url,
      s3: this.s3.endpoint,
      prometheus: `http://127.0.0.1:${this.layout.ports.prometheus}`,
      alertmanager: `http://127.0.0.1:${this.layout.ports.alertmanager}`,
    };
    return this.managed().map(({ name, svc }) => ({ name, running: svc.proc.running(), pid: svc.proc.pid, address: addr[name] }));
  }
}

/** Rule files shipped under provisioning/prometheus/rules (absolute paths). */
export function ruleFiles(): string[] {
  const d = join(REPO_ROOT, 'provisioning', 'prometheus', 'rules');
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => /\.ya?ml$/.test(f) && !f.includes('test'))
    .map((f) => join(d, f));
}

export function prometheusConfig(layout: StackLayout, interval: string): string {
  const p = layout.ports;
  const job = (name: string, port: number) => `  - job_name: ${name}\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`;
  return `# generated by pipewarden's local stack
global:
  scrape_interval: ${interval}
  evaluation_interval: ${interval}
rule_files:
${ruleFiles().map((f) => `  - ${f}`).join('\n') || '  []'}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${p.alertmanager}']
scrape_configs:
${job('pipewarden-exporter', p.exporter)}${job('pipewarden-loader', p.loader)}${job('pipewarden-reconciler', p.reconciler)}`;
}

function alertmanagerConfig(layout: StackLayout): string {
  return `# generated by pipewarden's local stack: every alert goes to the reconciler's receiver,
# which acts only on the alert names it is configured for.
route:
  receiver: pipewarden-reconciler
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: pipewarden-reconciler
    webhook_configs:
      - url: http://127.0.0.1:${layout.ports.reconciler}/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${layout.token}
`;
}
