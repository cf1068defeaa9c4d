// The loader names the store it waits for: Redis down mid-load is `waiting_redis` (it was
// reported as `waiting_mysql`, sending an operator to the wrong runbook), then the load
// resumes by itself and ends exact. With both down, it says running only once both are back.
import { join } from 'node:path';
import { generate, runLoad, verifyTable } from '@pipewarden/loader';
import type { LoaderState } from '@pipewarden/core';
import { startTestStack, type TestStack } from './helpers/stack';
import { waitFor } from './helpers/wait';

jest.setTimeout(180_000);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

test('Redis down mid-load: the loader reports waiting_redis, not waiting_mysql, and finishes exact once it is back', async () => {
  const file = join(stack.layout.dir, 'redis-down.csv');
  await generate(file, { rows: 20000, seed: 41, badShare: 0.005, duplicateShare: 0.01 });
  const config = stack.config({ 'batch.size': 500 });
  await stack.resetData(config);
  const states: { state: LoaderState; lastError?: string }[] = [];
  let outage: Promise<void> | undefined;
  let restarted = false;
  const s = await runLoad(config, {
    source: file,
    onProgress: (p) => {
      if (states.at(-1)?.state !== p.state) states.push({ state: p.state, lastError: p.lastError });
      if (p.rowsIn >= 5000 && !outage) outage = stack.redis.kill();
      // Back once the loader has said it waits (for the right store: asserted below).
      if (p.state.startsWith('waiting_') && outage && !restarted) {
        restarted = true;
        outage = outage.then(() => stack.redis.start()).then(() => undefined);
      }
    },
  });
  await outage;
  const waits = states.filter((x) => x.state.startsWith('waiting_'));
  expect(waits.length).toBeGreaterThan(0);
  expect(waits.map((x) => x.state)).toEqual(waits.map(() => 'waiting_redis'));
  expect(waits[0].lastError).toMatch(/^redis: /);
  expect(states.at(-1)?.state).not.toMatch(/^waiting_/); // it resumed
  expect(s.balanced).toBe(true);
  const v = await verifyTable(config, file);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected }).toEqual({ ok: true, lost: 0, duplicated: 0, unexpected: 0 });
});

test('both stores down, MySQL back first: the loader waits for Redis until it is back', async () => {
  const file = join(stack.layout.dir, 'both-down.csv');
  await generate(file, { rows: 20000, seed: 42, badShare: 0, duplicateShare: 0 });
  const config = stack.config({ 'batch.size': 500 });
  await stack.resetData(config);
  const states: LoaderState[] = [];
  let phase: 'loading' | 'down' | 'mysql back' | 'both back' = 'loading';
  let outage: Promise<void> = Promise.resolve();
  const whileRedisDown: LoaderState[] = [];
  const s = await runLoad(config, {
    source: file,
    onProgress: (p) => {
      if (states.at(-1) !== p.state) states.push(p.state);
      if (phase === 'loading' && p.rowsIn >= 5000) {
        phase = 'down';
        outage = Promise.all([stack.redis.kill(), stack.mariadb.kill()]).then(() => undefined);
      } else if (phase === 'down' && p.state.startsWith('waiting_')) {
        phase = 'mysql back';
        outage = outage
          .then(() => stack.mariadb.start())
          // Until the loader has said it waits for Redis (at most 30 s), then Redis comes back.
          .then(() => waitFor('the loader to wait for Redis', () => whileRedisDown.at(-1) === 'waiting_redis', 30_000).catch(() => undefined))
          .then(() => {
            phase = 'both back';
            return stack.redis.start();
          });
      } else if (phase === 'mysql back' && whileRedisDown.at(-1) !== p.state) whileRedisDown.push(p.state);
    },
  });
  await outage;
  // A batch that waited for MySQL alone may say "running" when MySQL is back; the next one
  // meets Redis down, and the loader says so until Redis is back, even while a batch that
  // waited for MySQL recovers meanwhile.
  expect(whileRedisDown.at(-1)).toBe('waiting_redis');
  expect(states).toContain('waiting_redis');
  expect(states.at(-1)).not.toMatch(/^waiting_/);
  expect(s.balanced).toBe(true);
  const v = await verifyTable(config, file);
  expect({ ok: v.ok, lost: v.lost, duplicated: v.duplicated, unexpected: v.unexpected }).toEqual({ ok: true, lost: 0, duplicated: 0, unexpected: 0 });
});
