// A large object cut into byte ranges (core/src/db/ranges.ts) that loaders claim like
// objects: the loader holding the object's own lease finds the ranges, every loader then
// loads free ranges until none is left to claim, so the object loads in parallel.
import { LeaseLostError, ledgerRun, type LeaseRow, type ObjectCheckpoint, type RangeRow } from '@pipewarden/core';
import { readHeader } from '../engine/inline';
import { leaseLabel } from '../leases';
import { findRanges } from '../range-finder';
import { ObjectChangedError, type SourceObject } from '../source';
import { childAbort, claimWhole, emitHolding, noteTakeover } from './claims';
import { emptyObjectCheckpoint } from './plan';
import { ledgerOf, type LoadSession } from './session';
import type { ObjectWriter } from './write-object';

/** What the pass gives the split loader: where finished objects go, and what a failed range means for the pass. */
export interface SplitPass {
  finished: Set<string>;
  afterFailure(e: unknown, obj: SourceObject, what: string): 'leave' | 'end-pass';
}

/** Objects cut into ranges: large ones when PIPEWARDEN_RANGE_BYTES is set, and any another loader began cutting. */
export function splits(s: LoadSession, obj: SourceObject, lease: LeaseRow | undefined): boolean {
  if (s.engine.name !== 'inline') return false; // Spark parallelizes an object itself
  if (obj.encoding) return false; // a compressed stream is read from its top: a range could only be reached by decoding all before it
  if (obj.format === 'parquet') return false; // its row groups are its parts, read by one loader
  return (s.config.loader.rangeBytes > 0 && obj.size > s.config.loader.rangeBytes) || (lease?.etag === obj.etag && lease.split !== null);
}

export class SplitLoader {
  /** Headers of split objects, read once per object version (key and ETag) for all of its ranges. */
  private readonly headers = new Map<string, string[]>();

  constructor(
    private readonly s: LoadSession,
    private readonly writer: ObjectWriter,
  ) {}

  /** The window is proved: its objects' headers are no longer needed. */
  forget(objects: readonly SourceObject[]): void {
    for (const o of objects) this.headers.delete(`${o.key}\0${o.etag}`);
  }

  /**
   * Find the object's ranges unless they all are (holding the object's lease), then load
   * free ranges until none is left to claim. Other loaders do the same at once.
   */
  async load(obj: SourceObject, oc: ObjectCheckpoint, lease: LeaseRow | undefined, pass: SplitPass): Promise<{ claimed: number; elsewhere: number }> {
    const { s } = this;
    // Another loader registered a newer version of the object than this run listed: its
    // ranges are that version's, and this loader's reads would be refused anyway.
    if (lease !== undefined && lease.etag !== obj.etag) throw new ObjectChangedError(obj.key, obj.etag, lease.etag);
    let claimed = 0;
    if (lease?.split !== 1) {
      const found = await this.claimAndFind(obj, oc);
      if (found === 'done') return { claimed: 0, elsewhere: 0 };
      if (found === 'claimed') claimed++;
    }
    await this.reopenUnconfirmedRanges(obj);
    claimed += await this.loadFreeRanges(obj, pass);
    // Nothing left to claim: if every range is done, the object is (its last range's loader
    // may have died between marking the range and the object).
    if (!s.signal.aborted && !s.changes.skipped(obj.key) && (await s.leases.finishSplit(obj))) {
      pass.finished.add(obj.key);
      claimed++;
    }
    return { claimed, elsewhere: claimed === 0 ? 1 : 0 };
  }

  /** Claim the object's own lease and find its ranges; another loader may be finding them, or have finished the object. */
  private async claimAndFind(obj: SourceObject, oc: ObjectCheckpoint): Promise<'claimed' | 'held' | 'done'> {
    const { s } = this;
    const claimed = await claimWhole(s, obj);
    if (claimed !== 'claimed') return claimed;
    try {
      await this.findObjectRanges(obj, oc);
    } catch (e) {
      if (!(e instanceof LeaseLostError)) throw e;
      s.log.warn('another loader holds this object now; it goes on finding its ranges', { object: obj.key, worker: s.leases.owner });
    } finally {
      await s.leases.release(obj);
      emitHolding(s);
    }
    return 'claimed';
  }

  /** Load free ranges until none is left to claim; returns how many this loader claimed. */
  private async loadFreeRanges(obj: SourceObject, pass: SplitPass): Promise<number> {
    const { s } = this;
    let claimed = 0;
    while (!s.signal.aborted && !s.changes.skipped(obj.key)) {
      const claim = await s.leases.claimRange(obj);
      const range = claim.range;
      if (!range) break;
      claimed++;
      noteTakeover(s, leaseLabel(obj.key, range), claim);
      emitHolding(s, obj.key);
      let done = false;
      try {
        done = await this.loadRange(obj, range);
        if (done && (await s.leases.finishRange(obj, range))) pass.finished.add(obj.key);
      } catch (e) {
        if (pass.afterFailure(e, obj, leaseLabel(obj.key, range)) === 'leave') continue;
        break;
      } finally {
        if (!done) await s.leases.release(obj, range);
        emitHolding(s);
      }
    }
    return claimed;
  }

  /** Find the object's ranges, from the last one published (a finder that stopped) or its top. */
  private async findObjectRanges(obj: SourceObject, oc: ObjectCheckpoint): Promise<void> {
    const { s } = this;
    const known = await s.leases.ranges(obj);
    const last = known[known.length - 1];
    const from = last ? { firstRecord: last.firstRecord + last.records, byte: last.endByte, line: last.nextLine } : { firstRecord: 1, byte: 0, line: 1 };
    const ctl = childAbort(s.signal);
    const lease = s.leases.hold(obj, () => ctl.abort());
    const t0 = Date.now();
    try {
      const found = await findRanges(s.source, obj, from, {
        batchSize: last?.batchSize ?? oc.batchSize,
        rangeBytes: s.config.loader.rangeBytes,
        signal: ctl.signal,
        publish: (ranges, complete) => s.leases.publish(obj, ranges, complete),
      });
      if (lease.lost) throw new LeaseLostError(obj.key, s.leases.owner);
      if (s.signal.aborted) return;
      await s.leases.finishSplit(obj); // an object whose records are all blank lines has no range to finish
      s.log.info('object cut into ranges for the loaders to share', { object: obj.key, ranges: known.length + found, from_record: from.firstRecord, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
    } catch (e) {
      // Losing the lease aborts the read: what happened is the lost lease, not the abort.
      throw lease.lost && !s.signal.aborted ? new LeaseLostError(obj.key, s.leases.owner) : e;
    } finally {
      lease.stop();
      ctl.detach();
    }
  }

  /** The ledger's batches of this version of the object. */
  private async ledgerBatches(obj: SourceObject) {
    return (await ledgerOf(this.s, [obj.key])).get(obj.key)?.get(obj.etag) ?? [];
  }

  /**
   * A range's done mark counts only while the ledger holds its batches: a server that lost
   * them (a crash under relaxed durability, a restored backup) gets them loaded again. The
   * ledger is read after the marks, so a range another loader just finished is confirmed.
   */
  private async reopenUnconfirmedRanges(obj: SourceObject): Promise<void> {
    const done = (await this.s.leases.ranges(obj)).filter((r) => r.doneRecords !== null);
    if (done.length === 0) return;
    const batches = await this.ledgerBatches(obj);
    for (const r of done) {
      const end = r.firstRecord + r.records;
      if (ledgerRun(batches, r.firstRecord, end).nextRecord !== end) await this.s.leases.reopenRange(obj, r);
    }
  }

  /** Load one range from where the ledger's batches in it end; true once it is whole in the ledger. */
  private async loadRange(obj: SourceObject, range: RangeRow): Promise<boolean> {
    const end = range.firstRecord + range.records;
    const run = ledgerRun(await this.ledgerBatches(obj), range.firstRecord, end);
    if (run.nextRecord >= end) return true;
    const at = run.resume && run.nextRecord > range.firstRecord ? { nextRecord: run.nextRecord, nextByte: run.resume.nextByte, nextLine: run.resume.nextLine } : { nextRecord: range.firstRecord, nextByte: range.startByte, nextLine: range.startLine };
    const version = `${obj.key}\0${obj.etag}`;
    let header = this.headers.get(version);
    if (!header) this.headers.set(version, (header = await readHeader(this.s.source, obj, this.s.signal)));
    const rc: ObjectCheckpoint = { ...emptyObjectCheckpoint(obj, range.batchSize), ...at, header };
    await this.writer.load(obj, rc, range);
    return rc.done;
  }
}
