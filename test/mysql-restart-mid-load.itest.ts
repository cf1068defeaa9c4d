// MySQL at innodb_flush_log_at_trx_commit=0 SIGKILLed in the middle of a load and started
// again: it comes back without the commits of its last second, which the loader had been
// told were durable. The loader must notice before it writes anything more (a later batch
// would otherwise take a repeated key before the lost earlier batch is back), start again
// from what the ledger holds, and end with the table equal to the source, first occurrence
// of every repeated key included, without any reconcile.
import { join } from 'node:path';
import { createLogger } from '@pipewarden/core';
import { generate, runLoad, verifyTable } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['mariadb', 'redis'], flushLogAtTrxCommit: 0 });
});
afterAll(() => stack?.cleanup());

// InnoDB may flush every commit before the kill: retry until a run really lost some.
const ATTEMPTS = 3;
const LOSS_LINE = 'the batch ledger lost batches this run had committed';

test('a load survives MySQL losing its last commits mid-run: same keys, same values, first occurrences kept', async () => {
  const file = join(stack.layout.dir, 'restart.csv');
  // Many keys repeated across batches, with other values than their first occurrence.
  await generate(file, { rows: 40000, seed: 5, badShare: 0.005, duplicateShare: 0.05 });
  const config = stack.config({ 'batch.size': 500, 'batch.pipelineDepth': 3 });
  let noticed = false;
  for (let attempt = 0; attempt < ATTEMPTS && !noticed; attempt++) {
    await stack.resetData(config);
    const lines: string[] = [];
    let crash: Promise<void> | undefined;
    const s = await runLoad(config, {
      source: file,
      log: createLogger('loader', (l) => lines.push(l)),
      onProgress: (p) => {
        if (p.rowsIn >= 12000 && !crash) crash = stack.mariadb.kill().then(() => stack.mariadb.start());
      },
    });
    await crash;
    expect(s.balanced).toBe(true);
    expect(s.rows_in).toBe(40000);
    const v = await verifyTable(config, file);
    expect({ ok: v.ok, lost: v.lost, mismatched: v.mismatched, notFirst: v.notFirst, duplicated: v.duplicated, unexpected: v.unexpected }).toEqual({ ok: true, lost: 0, mismatched: 0, notFirst: 0, duplicated: 0, unexpected: 0 });
    noticed = lines.some((l) => l.includes(LOSS_LINE));
  }
  expect(noticed).toBe(true); // a kill really lost commits, and the loader noticed
});
