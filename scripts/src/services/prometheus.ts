// Prometheus and Alertmanager from Debian's packages, when installed.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { ManagedProcess } from '../process';

export function which(names: string[]): string | undefined {
  for (const n of names) for (const d of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) if (existsSync(join(d, n))) return join(d, n);
  return undefined;
}

export function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface PrometheusOptions {
  dir: string;
  port: number;
  /** prometheus.yml text (the stack generates it). */
  config: string;
}

export class PrometheusServer {
  readonly proc: ManagedProcess;
  constructor(readonly opts: PrometheusOptions, binary = which(['prometheus'])!) {
    mkdirSync(join(opts.dir, 'data'), { recursive: true });
    this.proc = new ManagedProcess({
      name: 'prometheus',
      command: binary,
      args: [
        `--config.file=${join(opts.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(opts.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${opts.port}`,
        '--web.enable-lifecycle',
        '--storage.tsdb.retention.time=2d',
      ],
      logFile: join(opts.dir, 'prometheus.log'),
      pidFile: join(opts.dir, 'pid'),
      ready: () => httpOk(`${this.url}/-/ready`),
    });
  }
  static available(): boolean {
    return which(['prometheus']) !== undefined;
  }
  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }
  start(): Promise<void> {
    writeFileSync(join(this.opts.dir, 'prometheus.yml'), this.opts.config);
    return this.proc.start();
  }
  stop(): Promise<void> {
    return this.proc.stop();
  }
}

export class AlertmanagerServer {
  readonly proc: ManagedProcess;
  constructor(readonly opts: { dir: string; port: number; config: string }, binary = which(['prometheus-alertmanager', 'alertmanager'])!) {
    mkdirSync(join(opts.dir, 'data'), { recursive: true });
    this.proc = new ManagedProcess({
      name: 'alertmanager',
      command: binary,
      args: [
        `--config.file=${join(opts.dir, 'alertmanager.yml')}`,
        `--storage.path=${join(opts.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${opts.port}`,
        '--cluster.listen-address=',
      ],
      logFile: join(opts.dir, 'alertmanager.log'),
      pidFile: join(opts.dir, 'pid'),
      ready: () => httpOk(`${this.url}/-/ready`),
    });
  }
  static available(): boolean {
    return which(['prometheus-alertmanager', 'alertmanager']) !== undefined;
  }
  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }
  start(): Promise<void> {
    writeFileSync(join(this.opts.dir, 'alertmanager.yml'), this.opts.config);
    return this.proc.start();
  }
  stop(): Promise<void> {
    return this.proc.stop();
  }
}
