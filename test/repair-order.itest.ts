// Issue 13: a key repeated across batches keeps its first occurrence in a repair exactly as
// in the load. The state a flush=0 power cut leaves: batch A (earlier, committed and then
// lost by MySQL; its WAL segment already pruned, so only the mirror knows it) and batch B
// (later, in flight at the crash: its WAL intent is in doubt) both hold key K, with
// different values; MySQL has neither.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { DEFAULT_DATASET, WalWriter, connect, createRedis, datasetOf, mirrorKeys, putMirrorEntry, rulesFor } from '@pipewarden/core';
import { InlineEngine, generate, intentFor, openSource, type BatchDraft } from '@pipewarden/loader';
import { reconcile } from '@pipewarden/reconciler';
import { startTestStack, type TestStack } from './helpers/stack';

const PLATE = 1; // the Plate ID column of the generated CSV

describe('repair order', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.cleanup());

  test('the earlier batch keeps a repeated key, whichever of the two the WAL or the mirror names first; a dry run counts the key once', async () => {
    await stack.resetData();
    const config = stack.config({ 'batch.size': 1000 });
    const dir = join(stack.layout.dir, 'order');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'src.csv');
    await generate(file, { rows: 2000, seed: 7, badShare: 0, duplicateShare: 0 });
    // Record 1500 (batch B) repeats the key of record 10 (batch A), with another plate.
    const lines = readFileSync(file, 'utf8').split('\n');
    const early = lines[10].split(',');
    const late = lines[1500].split(',');
    const key = early[0];
    early[PLATE] = 'EARLY01';
    late[0] = key;
    late[PLATE] = 'LATER01';
    lines[10] = early.join(',');
    lines[1500] = late.join(',');
    writeFileSync(file, lines.join('\n'));

    const source = openSource(file, config);
    const [object] = await source.list();
    const drafts: BatchDraft[] = [];
    for await (const d of new InlineEngine(rulesFor(datasetOf({ dataset: DEFAULT_DATASET }))).batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize: 1000 }, new AbortController().signal)) if (d.src.records > 0) drafts.push(d);
    source.close();
    expect(drafts.map((d) => d.src.firstRecord)).toEqual([1, 1001]);
    const [a, b] = drafts.map((d) => intentFor(d));

    const wal = await WalWriter.open(config.wal.dir, 'loader', { fsync: 'always', segmentBytes: config.wal.segmentBytes });
    await wal.append(b);
    await wal.close();
    const redis = createRedis(config, { role: 'test' });
    const keys = mirrorKeys(config.redis.keyPrefix);
    await putMirrorEntry(redis, keys, a, drafts[0].tsv, drafts[0].rejects, false);
    await putMirrorEntry(redis, keys, b, drafts[1].tsv, drafts[1].rejects, false);
    redis.disconnect();

    const dry = await reconcile(config, { trigger: 'cli', dryRun: true });
    expect(dry.rowsMissing).toBe(1999); // 2000 rows, 1999 distinct keys

    const real = await reconcile(config, { trigger: 'cli', restartLoader: false });
    expect({ outcome: real.outcome, inserted: real.rowsInserted, verification: real.verification }).toEqual({ outcome: 'success', inserted: 1999, verification: 'ok' });
    const c = await connect(config);
    try {
      const [rows] = await c.query<RowDataPacket[]>('SELECT plate_id FROM violations WHERE summons_number = ?', [key]);
      expect(rows.map((r) => r.plate_id)).toEqual(['EARLY01']);
      const [[ledger]] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM batch_ledger WHERE batch_id IN (?)', [[a.id, b.id]]);
      expect(Number(ledger.n)).toBe(2);
    } finally {
      await c.end();
    }
  });
});
