// The plan phase: where to take up each object, from the batch ledger (MySQL, the truth)
// and this host's checkpoint (a cache of it). An object's checkpoint is trusted only as far
// as the ledger holds its batches; where the ledger holds more (no checkpoint here, another
// loader's work) the object goes on where the ledger's batches end. An object (re)started
// from its top is cut with the batch size of its batches already in the ledger, whatever
// the configuration says, so batch ids never collide with batches of another size.
import { UserError, batchGeometry, ledgerRun, type LedgerRange, type LeaseRow, type Logger, type ObjectCheckpoint } from '@pipewarden/core';
import type { Engine } from '../engine/types';
import type { SourceObject } from '../source';

export function emptyObjectCheckpoint(obj: SourceObject, batchSize: number): ObjectCheckpoint {
  return { etag: obj.etag, size: obj.size, nextRecord: 1, nextByte: 0, nextLine: 1, header: [], batchSize, done: false, rowsIn: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0 };
}

/** What planning an object needs besides the object and what is known of it. */
export interface PlanContext {
  /** The configured batch size. */
  batchSize: number;
  engine: Engine['name'];
  log: Logger;
  /** The checkpoint said more than the ledger: the object loads again (the summary's `objects_reloaded`). */
  onReloaded(key: string): void;
}

/**
 * The version of an object the database or this host loaded before, when the listed one
 * is another and has no batch in the ledger yet (a new version begun earlier goes on).
 */
export function changedFrom(obj: SourceObject, cached: ObjectCheckpoint | undefined, byEtag: Map<string, LedgerRange[]> | undefined): string | undefined {
  if (byEtag?.get(obj.etag)?.length) return undefined;
  if (cached && cached.etag !== obj.etag && (cached.rowsIn > 0 || cached.nextRecord > 1)) return cached.etag;
  for (const etag of byEtag?.keys() ?? []) if (etag !== obj.etag) return etag;
  return undefined;
}

/**
 * Where to take up an object: its checkpoint as far as the ledger confirms it, else its
 * top, cut with the batch size of its ledger batches (the configured one if none).
 */
export function planObject(obj: SourceObject, cached: ObjectCheckpoint | undefined, ranges: LedgerRange[], lease: LeaseRow | undefined, ctx: PlanContext): ObjectCheckpoint {
  const geometry = geometryOf(obj, cached, ranges, ctx.batchSize);
  const oc = trustedCheckpoint(obj, cached, ranges, geometry, ctx);
  const batchSize = geometry.batchSize ?? oc?.batchSize ?? ctx.batchSize;
  if (!oc && batchSize !== ctx.batchSize) {
    ctx.log.warn('object keeps its original batch size (the one of its batches in the ledger), not the configured one', { object: obj.key, batch_size: batchSize, configured: ctx.batchSize });
  }
  const planned = fromLedger(obj, oc, ranges, batchSize, lease, ctx.engine);
  planned.engine = ctx.engine;
  return planned;
}

type Geometry = ReturnType<typeof batchGeometry>;

function geometryOf(obj: SourceObject, cached: ObjectCheckpoint | undefined, ranges: LedgerRange[], configured: number): Geometry {
  try {
    // When the ledger knows one batch only, the size this object version was begun with
    // (its checkpoint's), else the configured one, settles whether it is full or the tail.
    return batchGeometry(ranges, [cached?.etag === obj.etag ? cached.batchSize : undefined, configured]);
  } catch (e) {
    throw new UserError(`${obj.key}: ${(e as Error).message}`, 'the ledger must tell one batch size per object version: run `pipewarden verify` on this object, and reload it into a fresh schema if rows are missing');
  }
}

/** The checkpoint, if the ledger confirms it and it cuts the object as its ledger batches do; else none (start from the ledger). */
function trustedCheckpoint(obj: SourceObject, cached: ObjectCheckpoint | undefined, ranges: LedgerRange[], geometry: Geometry, ctx: PlanContext): ObjectCheckpoint | undefined {
  const { log } = ctx;
  let oc = cached;
  if (oc && oc.etag !== obj.etag) {
    log.warn('object changed since its last load; loading the new version from the start', { object: obj.key, was: oc.etag, now: obj.etag });
    oc = undefined;
  }
  if (oc && oc.nextRecord > geometry.contiguousEnd) {
    // The checkpoint says records up to nextRecord are in; the ledger lacks some of them
    // (a restored or recreated database, or commits lost by a crash under
    // innodb_flush_log_at_trx_commit=0/2).
    log.warn('the database knows less than the checkpoint; loading the object again from where the ledger\'s batches end', {
      object: obj.key,
      checkpoint_records: oc.nextRecord - 1,
      ledger_records_from_top: geometry.contiguousEnd - 1,
    });
    ctx.onReloaded(obj.key);
    oc = undefined;
  }
  // A single short ledger batch ending where the checkpoint ends is the object's whole
  // content: any batch size at least its length cuts it the same way.
  const wholeObject = oc !== undefined && oc.done && ranges.length === 1 && geometry.contiguousEnd === oc.nextRecord && oc.batchSize >= geometry.records;
  if (oc && geometry.batchSize !== undefined && oc.batchSize !== geometry.batchSize && !wholeObject) {
    log.warn('the checkpoint cuts the object unlike its ledger batches; reading it again from the top with their batch size', { object: obj.key, checkpoint: oc.batchSize, ledger: geometry.batchSize });
    oc = undefined;
  }
  if (oc && !oc.done && oc.nextRecord > 1 && oc.engine !== undefined && oc.engine !== ctx.engine) {
    // Spark batches carry no byte offsets: start the object again; the ledger skips what is in.
    log.warn('object was begun by another engine; reading it again from the start', { object: obj.key, was: oc.engine, now: ctx.engine });
    oc = undefined;
  }
  return oc;
}

/**
 * The ledger is the durable truth, the checkpoint this host's cache of it: an object
 * another loader finished (its lease says done with a record count the ledger confirms)
 * is done here too, and an object the ledger holds further than the checkpoint (begun
 * by another loader, or on a host whose run folder is gone) resumes where the ledger's
 * run of batches ends, without reading them again. Spark batches carry no byte offsets:
 * such an object is read from its top and the ledger skips its batches. A Parquet
 * object's batches carry none either, but it is entered at any row.
 */
function fromLedger(obj: SourceObject, oc: ObjectCheckpoint | undefined, ranges: LedgerRange[], batchSize: number, lease: LeaseRow | undefined, engine: Engine['name']): ObjectCheckpoint {
  if (oc?.done) return oc;
  const run = ledgerRun(ranges);
  const doneElsewhere = lease?.etag === obj.etag && lease.doneRecords !== null && lease.doneRecords === run.nextRecord - 1;
  // A Parquet object is entered at any row (its row groups are indexed): the ledger's run end is enough.
  const byRow = obj.format === 'parquet';
  const further = (run.resume !== undefined || byRow) && engine === 'inline' && run.nextRecord > (oc?.nextRecord ?? 1);
  if (!doneElsewhere && !further) return oc ?? emptyObjectCheckpoint(obj, batchSize);
  const resumeAt = run.resume ?? { nextByte: 0, nextLine: run.nextRecord };
  const at = further ? { nextRecord: run.nextRecord, ...resumeAt } : { nextRecord: run.nextRecord, nextByte: obj.size, nextLine: oc?.nextLine ?? 1 };
  return {
    ...emptyObjectCheckpoint(obj, batchSize),
    ...at,
    header: oc?.header ?? [],
    done: doneElsewhere,
    rowsIn: run.rowsIn,
    rowsLoaded: run.rowsLoaded,
    rowsDuplicate: run.rowsDuplicate,
    rowsRejected: run.rowsRejected,
  };
}
