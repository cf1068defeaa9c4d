// The source, a window at a time (PIPEWARDEN_LIST_WINDOW objects, in key order): a source
// of millions of objects is never held whole. A window is listed, proved by the passes, then
// closed — its objects' totals kept as sums, their checkpoint entries dropped (the ledger and
// the objects' done marks answer for them on a rerun) — and the next is listed after its last key.
import type { ObjectCheckpoint } from '@pipewarden/core';
import { isRetryableS3Error, type SourceObject } from '../source';
import { retryWhileDown } from '../retry';
import { ledgerOf, type LedgerMap, type LoadSession } from './session';

/** Row counts of objects, summed. */
export interface Totals {
  rowsIn: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsDuplicate: number;
  rejectedByReason: Record<string, number>;
}

function addTotals(t: Totals, oc: ObjectCheckpoint): void {
  t.rowsIn += oc.rowsIn;
  t.rowsLoaded += oc.rowsLoaded;
  t.rowsRejected += oc.rowsRejected;
  t.rowsDuplicate += oc.rowsDuplicate;
  for (const [r, n] of Object.entries(oc.rejectedByReason ?? {})) t.rejectedByReason[r] = (t.rejectedByReason[r] ?? 0) + n;
}

/** Bytes stored of these objects. */
function bytesOf(objects: readonly SourceObject[]): number {
  return objects.reduce((a, o) => a + o.size, 0);
}

export class ListingWindows {
  /** The window being proved. */
  objects: SourceObject[];
  /** The ledger's batches of the window's objects, as the last pass read them. */
  ledger: LedgerMap;
  /** Objects listed so far. */
  listed: number;
  /** The last key of the windows proved (the listing goes on after it). */
  private after?: string;
  /** The totals of windows already proved (their checkpoint entries are gone). */
  private readonly tallied: Totals = { rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, rejectedByReason: {} };

  constructor(private readonly s: LoadSession) {
    this.objects = s.first.objects;
    this.ledger = s.first.ledger;
    this.listed = this.objects.length;
  }

  /** Whether another window may follow this one (this one was full). */
  get full(): boolean {
    return this.objects.length >= this.s.config.loader.listWindow;
  }

  /** The ledger's batches of the window's objects, read again. */
  async readLedger(): Promise<void> {
    const { s } = this;
    this.ledger = await ledgerOf(s, this.objects.map((o) => o.key));
  }

  /** The same window listed again: an object changed while it loaded (PIPEWARDEN_ON_CHANGE=reload), its new version is taken. */
  async relist(): Promise<void> {
    const was = this.objects;
    this.objects = await this.list();
    this.listed += this.objects.length - was.length;
    this.s.tally.progress.bytesTotal += bytesOf(this.objects) - bytesOf(was);
  }

  /**
   * Close the proved window and list the next; false when there is none. `forget` drops what
   * the run kept per object of the closed window, so memory holds one window.
   */
  async next(forget: (window: readonly SourceObject[]) => void): Promise<boolean> {
    const { s } = this;
    this.after = this.objects[this.objects.length - 1].key;
    forget(this.objects);
    this.close(this.objects);
    this.objects = await this.list();
    if (this.objects.length === 0) return false;
    this.listed += this.objects.length;
    s.tally.progress.bytesTotal += bytesOf(this.objects);
    s.log.info('next window of the listing', { after: this.after, objects: this.objects.length, listed: this.listed });
    s.tally.emit();
    return true;
  }

  /** The whole source's totals: the proved windows' sums and the last window's checkpoints. */
  totals(): Totals {
    const totals = { ...this.tallied, rejectedByReason: { ...this.tallied.rejectedByReason } };
    const cp = this.s.checkpoint.state;
    for (const o of this.objects) if (cp.objects[o.key]) addTotals(totals, cp.objects[o.key]);
    return totals;
  }

  /**
   * The window after the last one proved, probed and registered for leases. Windows after
   * the first are listed mid-load: S3 down then is waited out, as a read is.
   */
  private async list(): Promise<SourceObject[]> {
    const { s } = this;
    const objects = await retryWhileDown(() => s.source.list({ after: this.after, limit: s.config.loader.listWindow }), {
      operation: 's3',
      signal: s.signal,
      retryable: isRetryableS3Error,
      onRetry: (attempt, e) => attempt === 1 && s.log.warn('listing the source failed; retrying', { error: (e as Error).message }),
    });
    if (objects.length === 0) return objects;
    await s.source.probe(objects, s.signal);
    await s.leases.register(objects);
    return objects;
  }

  /** Fold a proved window into the run's totals and drop its objects from the checkpoint. */
  private close(window: SourceObject[]): void {
    const cp = this.s.checkpoint.state;
    for (const o of window) {
      const oc = cp.objects[o.key];
      if (!oc) continue;
      addTotals(this.tallied, oc);
      if (oc.done) delete cp.objects[o.key];
    }
    this.s.source.forget(window);
    cp.provedThrough = window[window.length - 1].key;
    this.s.checkpoint.save();
  }
}
