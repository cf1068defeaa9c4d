// A private MariaDB from the installed binaries: its own data dir, socket and port.
// mariadb-install-db runs once into a template that later instances copy (it is the
// slow part of a start).
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ManagedProcess } from '../process';

export interface MariaDbOptions {
  dir: string;
  port: number;
  bufferPool?: string;
  /** innodb_flush_log_at_trx_commit: 1 = durable (default), 0/2 = may lose acknowledged commits. */
  flushLogAtTrxCommit?: 0 | 1 | 2;
  /** More settings (`name: value`, as in my.cnf); they come after the defaults above and win. */
  settings?: Record<string, string | number>;
  templateDir?: string;
}

function findBinary(names: string[]): string {
  for (const n of names) {
    for (const d of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) if (existsSync(join(d, n))) return join(d, n);
  }
  throw new Error(`none of ${names.join(', ')} is installed (run scripts/bootstrap.sh)`);
}

function ensureTemplate(templateDir: string): void {
  if (existsSync(join(templateDir, 'mysql'))) return;
  const tmp = `${templateDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const args = ['--no-defaults', `--datadir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db'];
  if (process.getuid?.() === 0) args.push('--user=root');
  execFileSync(findBinary(['mariadb-install-db', 'mysql_install_db']), args, { stdio: 'pipe' });
  try {
    renameSync(tmp, templateDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process won the race
  }
}

export class MariaDb {
  readonly proc: ManagedProcess;
  readonly dataDir: string;
  readonly socket: string;

  constructor(readonly opts: MariaDbOptions) {
    this.dataDir = join(opts.dir, 'data');
    this.socket = join(opts.dir, 'mariadb.sock');
    this.proc = new ManagedProcess({
      name: 'mariadb',
      command: findBinary(['mariadbd', 'mysqld']),
      args: this.args(),
      logFile: join(opts.dir, 'stdout.log'),
      pidFile: join(opts.dir, 'pid'),
      ready: () => this.ping(),
      readyTimeoutMs: 60000,
    });
  }

  private args(): string[] {
    const { opts } = this;
    const args = [
      '--no-defaults',
      `--datadir=${this.dataDir}`,
      `--socket=${this.socket}`,
      `--port=${opts.port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(opts.dir, 'mariadbd.pid')}`,
      `--log-error=${join(opts.dir, 'error.log')}`,
      '--local-infile=1',
      '--skip-name-resolve',
      `--innodb-buffer-pool-size=${opts.bufferPool ?? '256M'}`,
      '--innodb-log-file-size=256M',
      '--max-allowed-packet=64M',
      '--max-connections=500',
      `--innodb-flush-log-at-trx-commit=${opts.flushLogAtTrxCommit ?? 1}`,
      ...Object.entries(opts.settings ?? {}).map(([k, v]) => `--${k.replace(/_/g, '-')}=${v}`),
    ];
    if (process.getuid?.() === 0) args.push('--user=root');
    return args;
  }

  /**
   * Change innodb_flush_log_at_trx_commit: at once when the server runs (the variable is
   * dynamic) and for every later start on the same data.
   */
  async setFlushLogAtTrxCommit(level: 0 | 1 | 2): Promise<void> {
    this.opts.flushLogAtTrxCommit = level;
    this.proc.spec.args.splice(0, this.proc.spec.args.length, ...this.args());
    if (!this.proc.running()) return;
    const c = await mysql.createConnection({ host: '127.0.0.1', port: this.opts.port, user: 'root' });
    try {
      await c.query('SET GLOBAL innodb_flush_log_at_trx_commit = ?', [level]);
    } finally {
      c.destroy();
    }
  }

  /** A logical backup of one database (mariadb-dump, consistent snapshot) into `file`. */
  dump(database: string, file: string): void {
    const fd = openSync(file, 'w');
    try {
      execFileSync(findBinary(['mariadb-dump', 'mysqldump']), ['--no-defaults', `--socket=${this.socket}`, '-uroot', '--single-transaction', '--databases', database], { stdio: ['ignore', fd, 'pipe'] });
    } finally {
      closeSync(fd);
    }
  }

  /** Load a backup written by `dump` (it drops and recreates the tables it holds). */
  restore(file: string): void {
    const fd = openSync(file, 'r');
    try {
      execFileSync(findBinary(['mariadb', 'mysql']), ['--no-defaults', `--socket=${this.socket}`, '-uroot'], { stdio: [fd, 'ignore', 'pipe'] });
    } finally {
      closeSync(fd);
    }
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.opts.port}/pipewarden`;
  }

  async ping(): Promise<boolean> {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: this.opts.port, user: 'root', connectTimeout: 1000 });
    try {
      await c.query('SELECT 1');
      return true;
    } finally {
      c.destroy();
    }
  }

  async start(): Promise<void> {
    if (!existsSync(join(this.dataDir, 'mysql'))) {
      const template = this.opts.templateDir ?? join(tmpdir(), `pipewarden-mariadb-template-${process.getuid?.() ?? 0}`);
      ensureTemplate(template);
      mkdirSync(this.opts.dir, { recursive: true });
      cpSync(template, this.dataDir, { recursive: true });
    }
    await this.proc.start();
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }

  stop(): Promise<void> {
    return this.proc.stop(30000);
  }
}
