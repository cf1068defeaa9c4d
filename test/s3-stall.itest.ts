// A stalled S3 socket must not hang a load: a tiny TCP proxy in front of the S3 server
// forwards the first object response only partly and then goes silent (the connection
// stays open). The S3 client's socket deadline fails that read, and the source resumes
// with a ranged GetObject from the last byte it delivered: every byte arrives once.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createS3Client, putFile, S3Source } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';

jest.setTimeout(60_000);

/** Forwards to `port`; the first connection whose answer passes `stallAfter` bytes goes silent. */
function stallingProxy(port: number, stallAfter: number): Promise<{ server: Server; port: number; stalled: () => number; close(): void }> {
  let stalled = 0;
  let stallUsed = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let forwarded = 0;
    let silent = false;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (silent) return;
      if (!stallUsed && forwarded + chunk.length > stallAfter) {
        stallUsed = true;
        silent = true;
        stalled++;
        client.write(chunk.subarray(0, stallAfter - forwarded));
        return; // nothing more, and no close: a stalled peer
      }
      forwarded += chunk.length;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', () => !silent && end());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const p = (server.address() as { port: number }).port;
      resolve({ server, port: p, stalled: () => stalled, close: () => (sockets.forEach((s) => s.destroy()), server.close()) });
    });
  });
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['s3'], migrate: false });
});
afterAll(() => stack?.cleanup());

test('a body that stalls mid-object fails by the socket deadline and resumes from the last byte', async () => {
  const config = stack.config();
  const data = randomBytes(2 << 20);
  const file = join(stack.layout.dir, 'stall.bin');
  writeFileSync(file, data);
  const direct = createS3Client(config);
  const put = await putFile(direct, file, `s3://${stack.layout.bucket}/stall.bin`);
  direct.destroy();

  const s3Port = Number(new URL(config.s3.endpoint!).port);
  const proxy = await stallingProxy(s3Port, 300_000);
  const viaProxy = stack.config({ 's3.endpoint': `http://127.0.0.1:${proxy.port}`, 's3.requestTimeoutSeconds': 1 });
  const retries: unknown[] = [];
  const source = new S3Source(`s3://${stack.layout.bucket}/`, createS3Client(viaProxy), { onRetry: (_n, e) => retries.push(e) });
  try {
    const [object] = (await source.list()).filter((o) => o.key.endsWith('/stall.bin'));
    expect(object).toMatchObject({ size: data.length, etag: put.etag });
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of source.open(object, 0)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    expect(bytes).toBe(data.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(proxy.stalled()).toBe(1);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect((retries[0] as Error).name).toBe('TimeoutError');
  } finally {
    source.close();
    proxy.close();
  }
});
