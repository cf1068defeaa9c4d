// An S3-compatible server for the local stack and tests: s3rver (with the aws-chunked
// decoding it lacks, scripts/bin/s3rver.cjs), run as its own process so it can be stopped
// and restarted mid-load like a real endpoint.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { ManagedProcess } from '../process';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function httpUp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export class S3Server {
  readonly proc: ManagedProcess;
  constructor(readonly opts: { dir: string; port: number }) {
    mkdirSync(join(opts.dir, 'data'), { recursive: true });
    this.proc = new ManagedProcess({
      name: 's3',
      command: process.execPath,
      // s3rver's ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 keeps in
      // its legacy provider: without it, every listing of more than max-keys objects fails 500
      // (S3A lists with max-keys 2 when it commits a Spark job's output).
      args: ['--openssl-legacy-provider', require.resolve('../../bin/s3rver.cjs'), '--directory', join(opts.dir, 'data'), '--address', '127.0.0.1', '--port', String(opts.port), '--silent'],
      logFile: join(opts.dir, 's3.log'),
      pidFile: join(opts.dir, 'pid'),
      ready: () => httpUp(opts.port),
    });
  }
  get endpoint(): string {
    return `http://127.0.0.1:${this.opts.port}`;
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
