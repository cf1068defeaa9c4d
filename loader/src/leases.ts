// A loader's side of the object and range leases (core/src/db/leases.ts, ranges.ts): its
// worker name, claims that wait out a MySQL outage, and the renewal that runs while it loads
// an object or a range of one.
import { hostname } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Pool, PoolConnection } from 'mysql2/promise';
import {
  claimObject,
  claimRange,
  finishObject,
  finishRange,
  finishSplitObject,
  leaseRows,
  objectRanges,
  publishRanges,
  registerObjects,
  releaseLease,
  renewLease,
  reopenObject,
  reopenRange,
  type ClaimResult,
  type Config,
  type LeaseFence,
  type LeaseRow,
  type Logger,
  type ObjectRange,
  type RangeClaim,
  type RangeRow,
} from '@pipewarden/core';
import { whileMysqlDown } from './retry';

interface Versioned {
  key: string;
  etag: string;
}

/**
 * This process's name among the loaders: PIPEWARDEN_WORKER (or host/pid) and a random
 * suffix, so two processes never share one, even when configured alike or after a restart.
 */
export function workerName(config: Config): string {
  return `${config.loader.worker ?? `${hostname()}/${process.pid}`}#${randomBytes(3).toString('hex')}`;
}

/** How logs and /status name what a lease is on: the object's key, and a range's records. */
export function leaseLabel(key: string, range?: Pick<ObjectRange, 'firstRecord' | 'records'>): string {
  return range ? `${key} (records ${range.firstRecord}–${range.firstRecord + range.records - 1})` : key;
}

/** A held lease: renewed every third of its life until stopped; `lost` once another loader has it. */
export interface HeldLease {
  readonly fence: LeaseFence;
  readonly lost: boolean;
  stop(): void;
}

/**
 * Where a loader sits: its host and run folder. Only one live loader has a seat (it holds
 * the folder's loader.lock), so a lease held from this seat by another worker name is a
 * dead predecessor's, taken back at once by the loader restarted there.
 */
function seatOf(config: Config): string {
  return createHash('sha256').update(`${hostname()}\0${resolve(config.wal.dir)}`).digest('hex').slice(0, 16);
}

export class ObjectLeases {
  readonly owner: string;
  private readonly seat: string;
  private readonly held = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    owner?: string,
  ) {
    this.owner = owner ?? workerName(config);
    this.seat = seatOf(config);
  }

  /** Object keys this loader holds now (for /status). */
  holding(): string[] {
    return [...this.held];
  }

  fence(obj: Versioned, range?: ObjectRange): LeaseFence {
    return { pipeline: this.config.pipeline, key: obj.key, etag: obj.etag, owner: this.owner, ...(range ? { range: range.firstRecord } : {}) };
  }

  private label(obj: Versioned, range?: ObjectRange): string {
    return leaseLabel(obj.key, range);
  }

  /** A transaction of its own on one connection (the claims lock rows FOR UPDATE). */
  private withConnection<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    return this.retry(async () => {
      const conn = await this.pool.getConnection();
      try {
        const out = await fn(conn);
        conn.release();
        return out;
      } catch (e) {
        conn.destroy();
        throw e;
      }
    });
  }

  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return whileMysqlDown(fn, this.signal);
  }

  register(objects: readonly Versioned[]): Promise<void> {
    return this.retry(() => registerObjects(this.pool, this.config.pipeline, objects));
  }

  rows(objects: readonly Versioned[]): Promise<Map<string, LeaseRow>> {
    return this.retry(() =>
      leaseRows(
        this.pool,
        this.config.pipeline,
        objects.map((o) => o.key),
      ),
    );
  }

  /** The lease says done with a record count the ledger no longer confirms: not done after all. */
  reopen(obj: Versioned, records: number): Promise<void> {
    return this.retry(() => reopenObject(this.pool, this.fence(obj), records));
  }

  async claim(obj: Versioned): Promise<ClaimResult> {
    const r = await this.withConnection((conn) => claimObject(conn, this.fence(obj), this.config.loader.leaseSeconds, this.seat));
    if (r.result === 'claimed') this.held.add(obj.key);
    return r;
  }

  /** The ranges published for this object version, in order. */
  ranges(obj: Versioned): Promise<RangeRow[]> {
    return this.retry(() => objectRanges(this.pool, this.config.pipeline, obj.key, obj.etag));
  }

  /** Publish ranges found, as the holder of the object's lease (LeaseLostError when it is not). */
  publish(obj: Versioned, ranges: ObjectRange[], complete: boolean): Promise<void> {
    return this.withConnection((conn) => publishRanges(conn, this.fence(obj), ranges, complete));
  }

  /** Claim the next range of the object that is free (or lapsed, or a dead predecessor's). */
  async claimRange(obj: Versioned): Promise<RangeClaim> {
    const r = await this.withConnection((conn) => claimRange(conn, this.fence(obj), this.config.loader.leaseSeconds, this.seat));
    if (r.range) this.held.add(this.label(obj, r.range));
    return r;
  }

  /** A range's done mark the ledger does not confirm: not done after all. */
  reopenRange(obj: Versioned, range: RangeRow): Promise<void> {
    return this.retry(() => reopenRange(this.pool, this.config.pipeline, obj.key, obj.etag, range));
  }

  /** The range is loaded; true when that made the whole object done (its last range). */
  async finishRange(obj: Versioned, range: ObjectRange): Promise<boolean> {
    this.held.delete(this.label(obj, range));
    const ok = await this.retry(() => finishRange(this.pool, { ...this.fence(obj), range: range.firstRecord }, range.records));
    if (!ok) this.log.warn('the lease had passed to another loader when this one finished the range; the ledger holds its batches either way', { object: obj.key, first_record: range.firstRecord });
    return this.finishSplit(obj);
  }

  /** Mark a split object done once every range of it is (core/src/db/ranges.ts); true when this call did. */
  finishSplit(obj: Versioned): Promise<boolean> {
    return this.retry(() => finishSplitObject(this.pool, this.config.pipeline, obj.key, obj.etag));
  }

  /**
   * Keep the lease while the object loads. A renewal MySQL cannot answer is tried again at
   * the next tick (the lease may lapse meanwhile; the batch transactions' fence then
   * decides); a renewal that finds the lease gone calls `onLost` once.
   */
  hold(obj: Versioned, onLost: () => void, range?: ObjectRange): HeldLease {
    const fence = this.fence(obj, range);
    const label = this.label(obj, range);
    const seconds = this.config.loader.leaseSeconds;
    let lost = false;
    let busy = false;
    const timer = setInterval(() => {
      if (busy || lost) return;
      busy = true;
      renewLease(this.pool, fence, seconds)
        .then((ok) => {
          if (ok || lost) return;
          lost = true;
          this.held.delete(label);
          this.log.warn('lost the lease on an object to another loader; leaving it to that one', { object: label, worker: this.owner });
          onLost();
        })
        .catch((e: unknown) => this.log.debug('lease renewal failed; trying again', { object: obj.key, error: (e as Error).message }))
        .finally(() => (busy = false));
    }, (seconds * 1000) / 3);
    timer.unref();
    return {
      fence,
      get lost() {
        return lost;
      },
      stop: () => clearInterval(timer),
    };
  }

  /** The object is loaded: record its record count for the other loaders' proof and release it. */
  async finish(obj: Versioned, records: number): Promise<void> {
    this.held.delete(obj.key);
    const ok = await this.retry(() => finishObject(this.pool, this.fence(obj), records));
    if (!ok) this.log.warn('the lease had passed to another loader when this one finished the object; the ledger holds its batches either way', { object: obj.key });
  }

  /** Give an unfinished object back (a stop, a failure): best effort, it expires anyway. */
  async release(obj: Versioned, range?: ObjectRange): Promise<void> {
    this.held.delete(this.label(obj, range));
    await releaseLease(this.pool, this.fence(obj, range)).catch((e: unknown) => this.log.debug('could not release a lease; it expires by itself', { object: obj.key, error: (e as Error).message }));
  }
}
