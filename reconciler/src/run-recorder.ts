// The record of a real run, in two places: the reconciler's WAL series (its start, each
// batch it settled, its end) and reconcile_runs (core/src/db/reconcile-runs.ts: running at
// its start, its outcome at its end). The WAL series comes first: a run killed from its
// start on is visible to the next one, which closes it in both.
import type { Pool } from 'mysql2/promise';
import { WalWriter, closeInterruptedRuns, insertRunStarted, recordRunOutcome, type Config, type ReconcileOutcome, type ReconcileReport, type RepairRecord, type RunStarted, type WalState } from '@pipewarden/core';

export class RunRecorder {
  /** The MySQL holding the run's reconcile_runs row, once it is written. */
  private recordedIn?: Pool;

  private constructor(private readonly wal: WalWriter, private readonly runId: string) {}

  /** The reconciler's WAL series, opened for the run (start() writes its first record). */
  static async open(config: Config, runId: string): Promise<RunRecorder> {
    return new RunRecorder(await WalWriter.open(config.wal.dir, 'reconciler', { fsync: 'always', segmentBytes: config.wal.segmentBytes }), runId);
  }

  /** The run's start in the WAL: a run killed from here on is visible to the next one. */
  async start(): Promise<void> {
    await this.wal.append({ t: 'run', run: this.runId, phase: 'start', ts: Date.now() });
  }

  /** Close runs a killed reconciler left open (this run redoes their work); record this one. */
  async recordStart(pool: Pool, state: WalState, run: RunStarted): Promise<void> {
    if (state.unfinishedRuns.length > 0) {
      await closeInterruptedRuns(pool, state.unfinishedRuns);
      const ended = state.unfinishedRuns.filter((r) => r !== this.runId);
      if (ended.length > 0) await this.wal.append(ended.map((r) => ({ t: 'run', run: r, phase: 'end', outcome: 'failed', ts: Date.now() })));
    }
    await insertRunStarted(pool, run);
    this.recordedIn = pool;
  }

  /** A batch settled: repaired with `inserted` rows from `source`, or found complete in the ledger. */
  async settled(batchId: string, inserted: number, source: RepairRecord['source']): Promise<void> {
    await this.wal.append(this.repairRecord(batchId, inserted, source));
  }

  /** Batches found complete in the ledger, settled at once: one append, one fsync. */
  async settledInLedger(batchIds: readonly string[]): Promise<void> {
    if (batchIds.length > 0) await this.wal.append(batchIds.map((id) => this.repairRecord(id, 0, 'ledger')));
  }

  private repairRecord(batchId: string, inserted: number, source: RepairRecord['source']): RepairRecord {
    return { t: 'repair', id: batchId, inserted, run: this.runId, source, ts: Date.now() };
  }

  /** The run's outcome in reconcile_runs, once its start is there (with `error` for a run that failed). */
  async recordOutcome(report: ReconcileReport, error?: string): Promise<void> {
    if (this.recordedIn) await recordRunOutcome(this.recordedIn, report, error);
  }

  /** The run's end in the WAL. */
  async end(outcome: ReconcileOutcome): Promise<void> {
    await this.wal.append({ t: 'run', run: this.runId, phase: 'end', outcome, ts: Date.now() });
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}
