// An object replaced between two loads (a longer version of the same export): the new
// version loads from its top, and `verify` judges the table against the version that is
// there now. The first version's dead letters stay as its history, under its own batch
// ids; they must not count as rejects of the new version (found by the nemesis, seed 61).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { connect } from '@pipewarden/core';
import { generate, runLoad, verifyTable } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis'] });
});
afterAll(() => stack?.cleanup());

test('an object replaced by a longer version: verify counts only the current version\'s dead letters', async () => {
  const file = join(stack.layout.dir, 'replaced.csv');
  const stats = await generate(file, { rows: 3000, seed: 61, badShare: 0.02 });
  const config = stack.config({ 'batch.size': 500, onChange: 'reload' });
  const first = await runLoad(config, { source: file });
  expect(first.rows_rejected).toBeGreaterThan(0);
  expect((await verifyTable(config, file)).ok).toBe(true);

  // The same export with 100 more clean rows (new keys): a new ETag, the same bad rows.
  const extra = join(stack.layout.dir, 'extra.csv');
  await generate(extra, { rows: 100, seed: 62, badShare: 0, keyBase: 9_000_000_000 });
  const tail = readFileSync(extra, 'utf8').split('\n').slice(1).join('\n');
  appendFileSync(file, tail);
  const second = await runLoad(config, { source: file });
  expect(second.rows_in).toBe(stats.rows + 100);

  const c = await connect(config);
  const [[dl]] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM dead_letters');
  await c.end();
  // Both versions' dead letters are kept (the first version's are its history)…
  expect(Number(dl.n)).toBe(2 * first.rows_rejected);
  // …and the table equals the current version, its rejects accounted once.
  const v = await verifyTable(config, file);
  expect({ ok: v.ok, deadLetters: v.deadLetters, rejected: v.sourceRejected, lost: v.lost }).toEqual({ ok: true, deadLetters: first.rows_rejected, rejected: first.rows_rejected, lost: 0 });
  writeFileSync(file, ''); // leave nothing large behind in the suite folder
});
