// createRedis reports connection errors through the logger (once per outage, not once per
// reconnect attempt), and the logger never prints a URL's password.
import { createServer } from 'node:net';
import { createLogger, createRedis, loadConfig } from '../src';

function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

test('a Redis that refuses connections is logged once, with the code', async () => {
  const port = await unusedPort();
  const config = loadConfig({ env: { PIPEWARDEN_REDIS_URL: `redis://:pw-in-url@127.0.0.1:${port}/0` }, useStackEnv: false });
  const lines: string[] = [];
  const redis = createRedis(config, { role: 'test', log: createLogger('t', (l) => lines.push(l)), behaviour: { maxRetriesPerRequest: 0, retryStrategy: (n) => (n < 3 ? 10 : null) } });
  await expect(redis.ping()).rejects.toThrow();
  await new Promise<void>((resolve) => redis.once('end', () => resolve()));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/WARN .*Redis connection error .*role=test .*ECONNREFUSED/);
  expect(lines.join('\n')).not.toContain('pw-in-url');
});

test('the logger masks URL passwords in any field', () => {
  const lines: string[] = [];
  createLogger('t', (l) => lines.push(l)).warn('connecting', { target: 'redis://:s3cret@h:6379/0', mysql: 'mysql://u:p4ss@h/db' });
  expect(lines[0]).toContain('redis://:***@h:6379/0');
  expect(lines[0]).not.toMatch(/s3cret|p4ss/);
});
