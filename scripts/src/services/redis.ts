import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import Redis from 'ioredis';
import { ManagedProcess } from '../process';

export interface RedisOptions {
  dir: string;
  port: number;
  /** AOF on (survives a restart) or nothing on disk (the default, like a cache). */
  persistent?: boolean;
  maxmemory?: string;
}

/** PING over a raw socket: no client library needed to know the server answers. */
function redisPing(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export class RedisServer {
  readonly proc: ManagedProcess;
  constructor(readonly opts: RedisOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.proc = new ManagedProcess({
      name: 'redis',
      command: 'redis-server',
      args: this.args(),
      logFile: join(opts.dir, 'redis.log'),
      pidFile: join(opts.dir, 'pid'),
      ready: () => redisPing(opts.port),
    });
  }
  private args(): string[] {
    const { opts } = this;
    const args = ['--port', String(opts.port), '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', opts.dir, '--save', ''];
    args.push(...(opts.persistent ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']));
    if (opts.maxmemory) args.push('--maxmemory', opts.maxmemory);
    return args;
  }

  /** Turn the AOF on or off: at once when the server runs (CONFIG SET) and for later starts. */
  async setPersistent(on: boolean): Promise<void> {
    this.opts.persistent = on;
    this.proc.spec.args.splice(0, this.proc.spec.args.length, ...this.args());
    if (!this.proc.running()) return;
    const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      if (on) await r.config('SET', 'appendfsync', 'everysec');
      await r.config('SET', 'appendonly', on ? 'yes' : 'no');
    } finally {
      r.disconnect();
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.opts.port}/0`;
  }
  start(): Promise<void> {
    return this.proc.start();
  }
  kill(): Promise<void> {
    return this.proc.kill();
  }
  stop(): Promise<void> {
    return this.proc.stop();
  }
}
