// What a run has done so far, kept in one place: its progress (the CLI's bar, the service's
// /status), its own counts (the summary's `this_run`), its metrics and what its rows showed
// (fields made NULL, absent columns). Every batch settled goes through `count`. Names are
// camelCase here; the summary spells the counts in its JSON's names (load.ts, runFigures).
import { OddityCounter, type Logger, type ObjectCheckpoint, type RowRules } from '@pipewarden/core';
import type { BatchDraft } from '../engine/types';
import type { LoaderMetrics } from '../metrics';
import type { BatchOutcome } from '../sink';
import type { SourceObject } from '../source';
import type { LoadProgress } from './types';

/** The object's checkpoint moved past a settled batch: position, row counts, reasons of its dead letters. */
function advanceCheckpoint(oc: ObjectCheckpoint, draft: BatchDraft, out: BatchOutcome): void {
  oc.nextRecord = draft.src.firstRecord + draft.src.records;
  if (draft.src.endByte >= 0) oc.nextByte = draft.src.endByte;
  if (draft.nextLine !== undefined) oc.nextLine = draft.nextLine;
  oc.rowsIn += out.records;
  oc.rowsLoaded += out.inserted;
  oc.rowsDuplicate += out.duplicate;
  oc.rowsRejected += out.rejected;
  if (draft.last) oc.done = true;
  const byReason = (oc.rejectedByReason ??= {});
  for (const d of draft.rejects) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;
}

/**
 * What one run did itself: batches it wrote, and batches it found already in the ledger.
 * Progress counts both alike; these keep them apart.
 */
export interface RunCounts {
  /** Records of the batches this run committed: rowsLoaded + rowsRejected + rowsDuplicate. */
  rowsIn: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsDuplicate: number;
  batchesCommitted: number;
  /** Batches read again and found in the ledger (a resume or a replay): nothing written. */
  batchesSkipped: number;
  /** Records of those batches. */
  recordsSkipped: number;
}

export class LoadTally {
  readonly progress: LoadProgress;
  readonly thisRun: RunCounts = { rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, batchesCommitted: 0, batchesSkipped: 0, recordsSkipped: 0 };
  readonly oddities = new OddityCounter();
  /** Objects this run read from their top whose header lacks optional columns: key → column names. */
  readonly columnsAbsent: Record<string, string[]> = {};
  /**
   * Progress in bytes of objects whose batches carry no byte offsets (the Spark engine):
   * how far the engine said its batches reach, per object.
   */
  readonly engineBytes = new Map<string, number>();

  constructor(
    private readonly metrics: LoaderMetrics,
    private readonly rules: RowRules,
    private readonly log: Logger,
    private readonly onProgress: ((p: LoadProgress) => void) | undefined,
    startedAt: number,
  ) {
    this.progress = { state: 'running', rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, bytesRead: 0, bytesTotal: 0, startedAt };
  }

  emit(patch: Partial<LoadProgress> = {}): void {
    Object.assign(this.progress, patch);
    this.metrics.setState(this.progress.state);
    this.onProgress?.({ ...this.progress });
  }

  /** Stored bytes read that no batch accounts for: a compressed object's as the source reads them, an object's rest after its last record. */
  bytesRead(n: number): void {
    this.metrics.bytesRead.inc(n);
    this.emit({ bytesRead: this.progress.bytesRead + n });
  }

  /** A batch settled: the object's checkpoint moves past it, and the run's counts, metrics and progress count it. */
  count(obj: SourceObject, oc: ObjectCheckpoint, draft: BatchDraft, out: BatchOutcome): void {
    const prevByte = oc.nextByte;
    const prevEngineBytes = this.engineBytes.get(draft.src.key) ?? 0;
    if (draft.src.endByte < 0) this.engineBytes.set(draft.src.key, Math.max(prevEngineBytes, draft.bytesRead));
    advanceCheckpoint(oc, draft, out);
    this.countRun(out);
    this.countRows(draft, out);
    const bytes = Math.max(0, draft.src.endByte >= 0 ? draft.src.endByte - prevByte : draft.bytesRead - prevEngineBytes);
    // A compressed object's stored bytes are counted as the source reads them (bytesRead).
    if (obj.encoding) this.metrics.decodedBytes.inc(bytes);
    else this.metrics.bytesRead.inc(bytes);
    const p = this.progress;
    this.emit({
      rowsIn: p.rowsIn + out.records,
      rowsLoaded: p.rowsLoaded + out.inserted,
      rowsDuplicate: p.rowsDuplicate + out.duplicate,
      rowsRejected: p.rowsRejected + out.rejected,
      bytesRead: p.bytesRead + (obj.encoding ? 0 : bytes),
    });
  }

  private countRun(out: BatchOutcome): void {
    const r = this.thisRun;
    if (out.result === 'committed') {
      r.batchesCommitted++;
      r.rowsIn += out.records;
      r.rowsLoaded += out.inserted;
      r.rowsRejected += out.rejected;
      r.rowsDuplicate += out.duplicate;
    } else {
      r.batchesSkipped++;
      r.recordsSkipped += out.records;
    }
  }

  private countRows(draft: BatchDraft, out: BatchOutcome): void {
    const { metrics } = this;
    this.oddities.add(draft.oddities);
    draft.oddities.counts.forEach((c, i) => c > 0 && metrics.fieldsNulled.inc({ column: this.rules.columnNames[i] }, c));
    if (draft.src.firstRecord === 1 && draft.absent?.length && !this.columnsAbsent[draft.src.key]) {
      this.columnsAbsent[draft.src.key] = draft.absent;
      for (const column of draft.absent) metrics.columnsAbsent.inc({ column });
      this.log.warn("the object's header lacks optional columns; they load as NULL", { object: draft.src.key, absent: draft.absent });
    }
    metrics.rowsIn.inc(out.records);
    metrics.rowsLoaded.inc(out.inserted);
    metrics.rowsDuplicate.inc(out.duplicate);
    for (const d of draft.rejects) metrics.rowsRejected.inc({ reason: d.reason });
  }
}
