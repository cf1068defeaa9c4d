// The prove phase of a window. A pass plans every object of the window from the ledger
// (plan.ts) and loads those it does not yet hold in full, each claimed through its lease so
// several loaders share the source. The database can lose batches while the run goes on (a
// crash under innodb_flush_log_at_trx_commit=0/2, a backup restored under the loader), so a
// window ends only when a pass finds every object done: the last pass proves them all.
import { BatchVanishedError, LeaseLostError, UserError, waitForLogFlush, type LeaseRow, type ObjectCheckpoint } from '@pipewarden/core';
import { sleep, whileMysqlDown } from '../retry';
import { ObjectChangedError, type SourceObject } from '../source';
import { claimWhole, emitHolding } from './claims';
import { changedFrom, planObject, type PlanContext } from './plan';
import type { LoadSession } from './session';
import { splits, type SplitLoader, type SplitPass } from './split-object';
import type { ListingWindows } from './windows';
import type { ObjectWriter } from './write-object';

/** Passes that find batches lost before a run gives up on a database that keeps losing them. */
const MAX_LOAD_PASSES = 3;

/** How often a loader with nothing to claim looks again at objects other loaders hold. */
const HELD_POLL_MS = 1000;

/** An object a pass plans to load: where to take it up, and its lease row as the pass read it. */
interface Todo {
  obj: SourceObject;
  oc: ObjectCheckpoint;
  lease: LeaseRow | undefined;
}

/** What a pass did with its objects: how many this loader claimed, how many other loaders hold. */
interface Claimed {
  claimed: number;
  elsewhere: number;
}

export class WindowPasses implements SplitPass {
  /** Objects this run finished: one found unfinished again means the database lost batches. */
  readonly finished = new Set<string>();
  /** Objects the checkpoint called loaded further than the database knew (the summary's `objects_reloaded`). */
  readonly reloaded = new Set<string>();
  /** A batch this run committed is gone from the ledger: the pass ends, the next starts from the ledger. */
  private vanished = false;
  /** An object changed while it loaded (reload): the next pass lists the window again. */
  private relist = false;
  private lossyPasses = 0;
  /** Batches committed when the server's log was last known flushed (relaxed durability). */
  private committedWhenDurable = 0;
  private readonly planContext: PlanContext;

  constructor(
    private readonly s: LoadSession,
    private readonly windows: ListingWindows,
    private readonly writer: ObjectWriter,
    private readonly splitter: SplitLoader,
  ) {
    this.planContext = { batchSize: s.config.batch.size, engine: s.engine.name, log: s.log, onReloaded: (key) => this.reloaded.add(key) };
  }

  /** Plan the window's objects from the ledger, load what it lacks, until a pass proves them all. */
  async prove(firstWindow: boolean): Promise<void> {
    for (let pass = 1; ; pass++) {
      if (pass > 1) await this.startPass();
      if (pass > 1 || !firstWindow) await this.windows.readLedger();
      const { todo, lost } = await this.plan(pass);
      if (todo.length === 0) {
        if (await this.proved()) break;
        continue;
      }
      if (lost && ++this.lossyPasses >= MAX_LOAD_PASSES) {
        throw new UserError(
          `the database lost committed batches of ${todo.length} object(s) again and again during this run (${todo.map((t) => t.obj.key).slice(0, 3).join(', ')})`,
          'check the MySQL server (crashes, restores, innodb_flush_log_at_trx_commit) and run the load again: what the ledger holds is skipped',
        );
      }
      const held = await this.loadClaimable(todo);
      if (this.s.signal.aborted) break;
      if (held.claimed === 0 && held.elsewhere > 0 && !(await this.waitForOthers(pass, held.elsewhere))) break;
    }
  }

  /** The window is closed: what the passes kept of its objects goes. */
  forget(window: readonly SourceObject[]): void {
    for (const o of window) this.finished.delete(o.key);
  }

  private async startPass(): Promise<void> {
    this.s.sink.startPass();
    if (!this.relist) return;
    this.relist = false;
    await this.windows.relist();
  }

  /** Where each object of the window is taken up; `lost` when one this run finished is unfinished again. */
  private async plan(pass: number): Promise<{ todo: Todo[]; lost: boolean }> {
    const { s, windows } = this;
    const cp = s.checkpoint.state;
    const leaseOf = await s.leases.rows(windows.objects);
    const todo: Todo[] = [];
    let lost = this.vanished;
    this.vanished = false;
    const changedNow: string[] = [];
    for (const obj of windows.objects) {
      if (s.changes.skipped(obj.key)) continue;
      const was = changedFrom(obj, cp.objects[obj.key], windows.ledger.get(obj.key));
      if (was !== undefined && !s.changes.decide(obj, was, 'since it was loaded')) {
        if (s.config.onChange === 'fail') changedNow.push(`${obj.key} (ETag ${was} → ${obj.etag})`);
        continue;
      }
      const ranges = windows.ledger.get(obj.key)?.get(obj.etag) ?? [];
      const mark = leaseOf.get(obj.key);
      const oc = (cp.objects[obj.key] = planObject(obj, cp.objects[obj.key], ranges, mark, this.planContext));
      if (pass === 1) s.tally.progress.bytesRead += oc.done ? obj.size : obj.encoding ? 0 : oc.nextByte;
      if (oc.done) continue;
      todo.push({ obj, oc, lease: mark });
      if (this.finished.delete(obj.key)) lost = true;
      if (mark?.etag === obj.etag && mark.doneRecords !== null) await s.leases.reopen(obj, mark.doneRecords);
    }
    if (changedNow.length > 0) {
      throw new UserError(
        `${changedNow.length} object(s) changed since they were loaded: ${changedNow.slice(0, 3).join(', ')}${changedNow.length > 3 ? ', …' : ''}; nothing of them was written`,
        'set PIPEWARDEN_ON_CHANGE=reload to load the new versions (their rows go through the duplicate policy; the old versions\' batches stay) or skip to leave them, or restore the old versions',
      );
    }
    return { todo, lost };
  }

  /**
   * Every object is in the ledger. Under relaxed durability the commits of this run may
   * still vanish in a crash: wait until they are on the server's disk, then prove again
   * (false), so "finished" never stands for rows a crash a moment later takes away.
   */
  private async proved(): Promise<boolean> {
    const { s } = this;
    const committed = s.tally.thisRun.batchesCommitted;
    if (s.durability.flushAtCommit === 1 || committed === this.committedWhenDurable) return true;
    this.committedWhenDurable = committed;
    const how = await whileMysqlDown(() => waitForLogFlush(s.pool, s.durability, (ms) => sleep(ms, s.signal)), s.signal);
    if (how === 'lsn-late') s.log.warn('MySQL had not flushed its log after five flush intervals; proving the objects against the ledger anyway', { innodb_flush_log_at_trx_commit: s.durability.flushAtCommit });
    return false;
  }

  /**
   * Everything left is another loader's for now: look again shortly (a lease that is not
   * renewed expires, and its object is then taken over here). False when the run stops.
   */
  private async waitForOthers(pass: number, elsewhere: number): Promise<boolean> {
    const { s } = this;
    if (pass === 1 || pass % 30 === 0) s.log.info('the objects left are held by other loaders; waiting for them to finish or lapse', { objects: elsewhere, worker: s.leases.owner });
    await sleep(HELD_POLL_MS, s.signal).catch(() => undefined);
    return !s.signal.aborted;
  }

  /**
   * Load each object of the pass whose lease this loader gets; objects other loaders hold
   * are left to them. A lost lease leaves the object to its new holder; a lost batch ends
   * the pass (the next one starts from what the ledger holds).
   */
  private async loadClaimable(todo: Todo[]): Promise<Claimed> {
    const { s } = this;
    const n: Claimed = { claimed: 0, elsewhere: 0 };
    for (const t of todo) {
      if (splits(s, t.obj, t.lease)) {
        const r = await this.splitter.load(t.obj, t.oc, t.lease, this).catch((e: unknown) => this.afterFailure(e, t.obj, t.obj.key));
        if (r === 'leave') continue;
        if (r === 'end-pass') break;
        n.claimed += r.claimed;
        n.elsewhere += r.elsewhere;
        if (this.vanished || this.relist || s.signal.aborted) break;
        continue;
      }
      const r = await this.loadWhole(t);
      if (r === 'held') n.elsewhere++;
      if (r === 'held' || r === 'done') continue;
      n.claimed++;
      if (r === 'end-pass') break;
      if (r === 'leave') continue;
      if (s.signal.aborted) break;
    }
    return n;
  }

  /** Claim an object and load it whole: 'held' by another loader, 'done' by one since the plan (the next pass proves it), or what a failure means for the pass. */
  private async loadWhole({ obj, oc }: Todo): Promise<'held' | 'done' | 'loaded' | 'leave' | 'end-pass'> {
    const { s } = this;
    const claimed = await claimWhole(s, obj);
    if (claimed !== 'claimed') return claimed;
    try {
      await this.writer.load(obj, oc);
      if (oc.done) {
        await s.leases.finish(obj, oc.nextRecord - 1);
        this.finished.add(obj.key);
      }
      return 'loaded';
    } catch (e) {
      return this.afterFailure(e, obj, obj.key);
    } finally {
      if (!oc.done) await s.leases.release(obj);
      emitHolding(s);
    }
  }

  /**
   * What a failed load of an object (or a range of one) means for the pass: another loader
   * holds it now (leave it, go on), the object changed while it loaded (by
   * PIPEWARDEN_ON_CHANGE: fail, leave it, or end the pass so the next one lists its new
   * version), or the ledger lost batches (end the pass: the next one starts from what the
   * ledger holds); anything else is the run's error.
   */
  afterFailure(e: unknown, obj: SourceObject, what: string): 'leave' | 'end-pass' {
    const { s } = this;
    if (e instanceof ObjectChangedError) {
      if (!s.changes.decide(obj, e.was, 'while it loaded')) {
        if (s.config.onChange === 'fail') throw e;
        return 'leave';
      }
      this.relist = true;
      return 'end-pass';
    }
    if (e instanceof LeaseLostError) {
      s.log.warn('another loader holds this now; leaving it', { object: what, worker: s.leases.owner });
      return 'leave';
    }
    if (!(e instanceof BatchVanishedError)) throw e;
    s.log.warn('the batch ledger lost batches this run had committed; starting again from what the ledger holds (a crash under innodb_flush_log_at_trx_commit=0/2, or a restored backup)', { object: what, batch: e.batchId });
    this.vanished = true;
    return 'end-pass';
  }
}
