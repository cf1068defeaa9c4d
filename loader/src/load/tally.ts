// What a run has done so far, kept in one place: its progress (the CLI's bar, the service's
// /status), its own figures (the summary's `this_run`), its metrics and what its rows showed
// (fields made NULL, absent columns). Every batch settled goes through `count`.
import { OddityCounter, type Logger, type ObjectCheckpoint, type RowRules } from '@pipewarden/core';
import type { BatchDraft } from '../engine/types';
import type { LoaderMetrics } from '../metrics';
import type { BatchOutcome } from '../sink';
import type { SourceObject } from '../source';
import type { LoadProgress, RunFigures } from './types';

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

export class LoadTally {
  readonly progress: LoadProgress;
  readonly figures: RunFigures = { rows_in: 0, rows_loaded: 0, rows_rejected: 0, rows_duplicate: 0, batches_committed: 0, batches_skipped: 0, records_skipped: 0 };
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

  /** A batch settled: the object's checkpoint moves past it, and the run's figures, metrics and progress count it. */
  count(obj: SourceObject, oc: ObjectCheckpoint, draft: BatchDraft, out: BatchOutcome): void {
    const prevByte = oc.nextByte;
    const prevEngineBytes = this.engineBytes.get(draft.src.key) ?? 0;
    if (draft.src.endByte < 0) this.engineBytes.set(draft.src.key, Math.max(prevEngineBytes, draft.bytesRead));
    advanceCheckpoint(oc, draft, out);
    this.countFigures(out);
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

  private countFigures(out: BatchOutcome): void {
    const f = this.figures;
    if (out.result === 'committed') {
      f.batches_committed++;
      f.rows_in += out.records;
      f.rows_loaded += out.inserted;
      f.rows_rejected += out.rejected;
      f.rows_duplicate += out.duplicate;
    } else {
      f.batches_skipped++;
      f.records_skipped += out.records;
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
