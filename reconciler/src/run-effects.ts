// What a reconcile run does to the world, phase by phase: it opens its record in the
// reconciler's WAL series, pauses the loader, holds every loader of the pipeline, records its
// start, settles and writes batches, records its outcome, resumes the loader and ends its
// record. A real run (./real-run) does all of it; a dry run (DryRunEffects) none: it reads
// what a real run reads, and its repair phase only counts. So the procedure (./reconcile)
// reads the same for both.
import { errorMessage, type Logger, type WalState } from '@pipewarden/core';
import type { BatchWriter, RunMysql } from './repair';

/** In the order the procedure calls them; `resolvedFromLedger` and `writeBatch` are the repair phase's. */
export interface RunEffects extends BatchWriter {
  /** The run's start in the reconciler's WAL series. */
  openRun(): Promise<void>;
  /** The loader service paused and the WAL's loader lock held. */
  pauseLoader(): Promise<void>;
  /** Every loader of the pipeline held, on the run's MySQL (which the run's later writes use). */
  holdPipeline(mysql: RunMysql): Promise<void>;
  /** Runs a killed reconciler left open closed (this run redoes their work); this one recorded. */
  recordStart(wal: WalState): Promise<void>;
  /** The run's outcome and batch details recorded. */
  recordOutcome(): Promise<void>;
  /** The loader given back; kept paused when the run's verification failed. */
  resumeLoader(): Promise<void>;
  /** The run's end in the WAL series. */
  endRun(): Promise<void>;
  /** The run threw (`cancelled`: through its signal): recorded failed, and the loader kept paused, or given back when cancelled. Logs its own failures. */
  fail(error: string, cancelled: boolean): Promise<void>;
  /** Whatever the run opened, closed. */
  close(): Promise<void>;
}

/** A dry run changes nothing: every effect is a no-op, and every batch "verifies" (none is written). */
export class DryRunEffects implements RunEffects {
  async openRun(): Promise<void> {}
  async pauseLoader(): Promise<void> {}
  async holdPipeline(): Promise<void> {}
  async recordStart(): Promise<void> {}
  async resolvedFromLedger(): Promise<void> {}
  async writeBatch(): Promise<boolean> {
    return true;
  }
  async recordOutcome(): Promise<void> {}
  async resumeLoader(): Promise<void> {}
  async endRun(): Promise<void> {}
  async fail(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Clean-up after the outcome is decided: a failure here is logged, never hides the run's own error. */
export async function attempt(log: Logger, what: string, f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (err) {
    log.error(`could not ${what}`, { error: errorMessage(err) });
  }
}
