// The repair phase without services: rows from a stand-in fetcher, the keys MySQL has from a
// stand-in pool, and the run's BatchWriter either the dry run's or one that records what a
// real run would write.
import { parseSpec, rulesFor, type IntentRecord, type ReconcileProgress, type ReconcileReport } from '@pipewarden/core';
import type { BatchRows, BatchToFetch } from '../src/batch-rows';
import { repair, type BatchWrite, type BatchWriter, type RepairInput } from '../src/repair';
import { DryRunEffects } from '../src/run-effects';

const keyed = parseSpec('name: t\ntable: t\nkey: [id]\ncolumns:\n  - {name: id, type: integer}\n  - {name: note}\n', 't.yaml');
const keyless = parseSpec('name: t\ntable: t\ncolumns:\n  - {name: id, type: integer}\n  - {name: note}\n', 't.yaml');

function batch(id: string, firstRecord: number, lines: string[]): BatchToFetch {
  const intent: IntentRecord = { t: 'intent', id, src: { key: 's3://b/o.csv', etag: 'e', firstRecord, records: lines.length, startByte: 0, endByte: 1, firstLine: firstRecord + 1 }, rows: lines.length, rejected: 0, check: '0:0', ts: 0 };
  const rows: BatchRows = { source: 'mirror', tsv: Buffer.from(lines.map((l) => l + '\n').join('')), rejects: [] };
  return { id, intent, rows };
}

function report(dryRun: boolean): ReconcileReport {
  return { runId: 'r', pipeline: 'default', dryRun, trigger: 'api', batchesExamined: 0, batchesRepaired: 0, rowsMissing: 0, rowsInserted: 0, verification: 'ok', outcome: 'nothing_to_do', durationSeconds: 0, loaderRestarted: false, batches: [] };
}

/** A real run's writer, minus MySQL: every batch goes in whole, as sent. */
class RecordingWriter implements BatchWriter {
  readonly written: BatchWrite[] = [];
  readonly resolved: string[] = [];
  constructor(private readonly r: ReconcileReport) {}
  async resolvedFromLedger(ids: readonly string[]): Promise<void> {
    this.resolved.push(...ids);
  }
  async writeBatch(b: BatchWrite): Promise<boolean> {
    this.written.push(b);
    b.detail.rowsInserted = b.toInsert.length;
    this.r.rowsInserted += b.toInsert.length;
    this.r.batchesRepaired++;
    return true;
  }
}

function input(spec: typeof keyed, items: BatchToFetch[], r: ReconcileReport, writer: BatchWriter, present: string[] = []): RepairInput & { steps: Partial<ReconcileProgress>[] } {
  const steps: Partial<ReconcileProgress>[] = [];
  const pool = { query: async () => [present.map((k) => ({ k }))] } as unknown as RepairInput['pool'];
  return {
    plan: { items, resolvedFromLedger: ['in-ledger'], examined: items.length + 1 },
    pool,
    spec,
    rules: rulesFor(spec),
    fetcher: { rows: async (b: BatchToFetch) => b.rows! },
    writer,
    report: r,
    step: (p) => steps.push(p),
    checkCancelled: () => undefined,
    steps,
  };
}

test('a dry run counts the rows MySQL lacks, first occurrence per key across the run, and writes nothing', async () => {
  const r = report(true);
  const run = input(keyed, [batch('a', 1, ['1\tA', '2\tA', '1\tA again']), batch('b', 4, ['2\tB', '3\tB'])], r, new DryRunEffects(), ['2']);
  expect(await repair(run)).toBe(true);
  expect(r).toMatchObject({ rowsMissing: 2, rowsInserted: 0, batchesRepaired: 0 });
  expect(r.batches.map((b) => [b.batchId, b.rowsMissing, b.rowsInserted])).toEqual([
    ['a', 1, 0],
    ['b', 1, 0],
  ]);
  expect(run.steps).toEqual([
    { phase: 'repair', batchesTotal: 2 },
    { batchesDone: 1, rowsMissing: 1, rowsInserted: 0 },
    { batchesDone: 2, rowsMissing: 2, rowsInserted: 0 },
  ]);
});

test('a real run writes the same rows the dry run counted, and settles the batches the ledger has', async () => {
  const r = report(false);
  const writer = new RecordingWriter(r);
  await repair(input(keyed, [batch('a', 1, ['1\tA', '2\tA', '1\tA again']), batch('b', 4, ['2\tB', '3\tB'])], r, writer, ['2']));
  expect(writer.resolved).toEqual(['in-ledger']);
  expect(writer.written.map((b) => [b.intent.id, [...b.toInsert]])).toEqual([
    ['a', ['1\tA']],
    ['b', ['3\tB']],
  ]);
  expect(r).toMatchObject({ rowsMissing: 2, rowsInserted: 2, batchesRepaired: 2 });
});

test('a keyless batch goes in whole, with no key looked up', async () => {
  const r = report(false);
  const writer = new RecordingWriter(r);
  const run = input(keyless, [batch('k', 1, ['1\tA', '1\tA'])], r, writer);
  run.pool = { query: () => Promise.reject(new Error('no key to look up')) } as unknown as RepairInput['pool'];
  await repair(run);
  expect(writer.written[0]).toMatchObject({ toInsert: ['1\tA', '1\tA'], keys: undefined });
  expect(r.rowsMissing).toBe(2);
});

test('a cancelled run stops before the next batch', async () => {
  const r = report(true);
  const run = input(keyless, [batch('k', 1, ['1\tA'])], r, new DryRunEffects());
  run.checkCancelled = () => {
    throw new Error('cancelled');
  };
  await expect(repair(run)).rejects.toThrow('cancelled');
  expect(r.batches).toEqual([]);
});
