// A TCP proxy between pipewarden and one service (MySQL, Redis or S3): the config's URL
// points at it, and the nemesis switches its mode to delay, stall or drop the traffic of
// live connections mid-request — faults a process kill cannot make.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = { kind: 'pass' } | { kind: 'delay'; ms: number } | { kind: 'stall' } | { kind: 'drop' };

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<Pair>();
  private mode: ProxyMode = { kind: 'pass' };
  port = 0;

  constructor(readonly name: string, readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error(`proxy ${this.name}: no port`);
    this.port = addr.port;
  }

  /** Switch mode; live connections follow at once (a stall pauses them, a drop cuts them). */
  set(mode: ProxyMode): void {
    this.mode = mode;
    for (const p of this.pairs) {
      if (mode.kind === 'drop') this.cut(p);
      else if (mode.kind === 'stall') {
        p.client.pause();
        p.upstream.pause();
      } else {
        p.client.resume();
        p.upstream.resume();
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.pairs) this.cut(p);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private cut(p: Pair): void {
    p.client.destroy();
    p.upstream.destroy();
    this.pairs.delete(p);
  }

  private accept(client: Socket): void {
    if (this.mode.kind === 'drop') {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => this.cut(pair);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    this.pipe(client, upstream, pair);
    this.pipe(upstream, client, pair);
    if (this.mode.kind === 'stall') {
      client.pause();
      upstream.pause();
    }
  }

  /** Forward chunks in order; under `delay` each waits its turn behind the previous one. */
  private pipe(from: Socket, to: Socket, pair: Pair): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      if (mode.kind === 'drop') {
        this.cut(pair);
        return;
      }
      if (mode.kind === 'delay') {
        chain = chain.then(() => new Promise<void>((r) => setTimeout(r, mode.ms)));
        void chain.then(() => {
          if (!to.destroyed) to.write(chunk);
        });
      } else {
        void chain.then(() => {
          if (!to.destroyed) to.write(chunk);
        });
      }
    });
  }
}
