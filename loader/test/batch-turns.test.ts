// Turns in write order: each batch's step waits for every earlier batch's, a failure stops
// the batches in flight with it, and the next batches (a new pass) start afresh.
import { BatchTurns, EarlierBatchFailedError } from '../src/batch-turns';

const tick = () => new Promise((r) => setImmediate(r));

test('a later turn is ready only after every earlier one is done, whatever order they finish in', async () => {
  const turns = new BatchTurns('WAL intent');
  const [a, b, c] = [turns.take(), turns.take(), turns.take()];
  const ready: string[] = [];
  for (const [name, t] of [['a', a], ['b', b], ['c', c]] as const) void t.ready.then(() => ready.push(name));
  await tick();
  expect(ready).toEqual(['a']);
  c.done(true); // c finishing first frees nobody
  await tick();
  expect(ready).toEqual(['a']);
  a.done(true);
  await tick();
  expect(ready).toEqual(['a', 'b']);
  b.done(true);
  await tick();
  expect(ready).toEqual(['a', 'b', 'c']);
});

test('a failed turn fails every later turn in flight; a turn taken once all are done starts afresh', async () => {
  const turns = new BatchTurns('WAL intent');
  const [a, b, c] = [turns.take(), turns.take(), turns.take()];
  await a.ready;
  a.done(false);
  await expect(b.ready).rejects.toBeInstanceOf(EarlierBatchFailedError);
  await expect(c.ready).rejects.toThrow('an earlier batch failed before its WAL intent; this batch stops too');
  b.done(false);
  c.done(false);
  const next = turns.take();
  await expect(next.ready).resolves.toBeUndefined();
});

test('done counts once: a second call does not release a turn twice', async () => {
  const turns = new BatchTurns('step');
  const a = turns.take();
  a.done(false);
  a.done(true);
  const b = turns.take(); // a is done: b starts afresh
  await expect(b.ready).resolves.toBeUndefined();
  const c = turns.take();
  b.done(true);
  b.done(false);
  await expect(c.ready).resolves.toBeUndefined();
});
