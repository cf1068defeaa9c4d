// The dual-write sink: per batch, WAL intent → (MySQL transaction ∥ Redis mirror) → WAL
// commit. Either store being down makes the batch wait and retry (state waiting_mysql or
// waiting_redis),
// never skip: a batch is done only when both hold it.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type Redis from 'ioredis';
import {
  UserError,
  formatChecksum,
  keyChecksum,
  batchId,
  ledgerEntry,
  ledgerMismatch,
  mirrorKeys,
  putMirrorEntry,
  trimMirror,
  writeBatchTx,
  BatchVanishedError,
  PipelineHeldError,
  HoldAbandonedError,
  holdAbandoned,
  DEFAULT_PIPELINE,
  datasetOf,
  faultArmed,
  faultAt,
  type BatchTxResult,
  type Config,
  type IntentRecord,
  type LeaseFence,
  type LedgerEntry,
  type Logger,
  type MirrorKeys,
  type ResolvedSpec,
  type WalWriter,
  type WriteMethod,
} from '@pipewarden/core';
import type { BatchDraft } from './engine/types';
import type { LoaderMetrics } from './metrics';
import { isRedisConnectionError, mysqlRetryable, retryWhileDown, type RetryOptions } from './retry';
import { tsvInKeyOrder } from './batch-order';
import { BatchTurns, EarlierBatchFailedError, type Turn } from './batch-turns';

export interface BatchOutcome {
  id: string;
  /** 'committed' = written now; 'skipped' = the ledger already had it (a replay). */
  result: 'committed' | 'skipped';
  records: number;
  inserted: number;
  duplicate: number;
  rejected: number;
}

export interface SinkOptions {
  /**
   * A hold whose run is no longer at work (core's holdAbandoned): 'stop' fails the batch with
   * HoldAbandonedError (a one-shot load: nobody else will reconcile); 'wait' (the default)
   * waits on (a service: its reconciler's watchdog or an operator's resume ends the hold).
   */
  abandonedHold?: 'stop' | 'wait';
  onWaiting?: (what: 'mysql' | 'redis', error: unknown) => void;
  /** A reconcile run holds the pipeline (every loader waits for it): once per wait. */
  onHeld?: (e: PipelineHeldError) => void;
  onRecovered?: (what: 'mysql' | 'redis') => void;
}

/** LOAD DATA LOCAL INFILE when the server allows it (the fastest path measured), else INSERT. */
export async function chooseWriteMethod(pool: Pool, configured: Config['mysql']['writeMethod']): Promise<WriteMethod> {
  if (configured !== 'auto') return configured;
  const [rows] = await pool.query<RowDataPacket[]>('SELECT @@local_infile AS li');
  return Number(rows[0]?.li) === 1 ? 'load-data' : 'insert';
}

/**
 * A ledger hit is a replay only if it is this very batch (same range, counts, key checksum);
 * anything else would skip rows nobody wrote, so the load stops and says why.
 */
function provenReplay(entry: LedgerEntry, intent: IntentRecord): LedgerEntry {
  const diff = ledgerMismatch(entry, intent);
  if (diff === null) return entry;
  const { src } = intent;
  throw new UserError(
    `batch ${intent.id} (${src.key}, records ${src.firstRecord}…${src.firstRecord + src.records - 1}, ${intent.rows} kept, ${intent.rejected} rejected, key checksum ${intent.check}) is in the ledger with ${diff}: not the same batch, so it was not skipped`,
    'the object was loaded before with another batch cutting (or the source changed under the same ETag); run `pipewarden verify` on it and reload it into a fresh schema if rows are missing',
  );
}

function sharesKey(a: Set<string>, b: Set<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const k of small) if (large.has(k)) return true;
  return false;
}

/**
 * The WAL intent of a batch of `pipeline` (config.pipeline: its name enters the batch id, so
 * two pipelines reading one object have distinct batches); `keys` when the caller has the
 * draft's key set already.
 */
export function intentFor(draft: BatchDraft, keys: Set<string> = new Set(draft.keys), pipeline = DEFAULT_PIPELINE): IntentRecord {
  const { src } = draft;
  return {
    t: 'intent',
    id: batchId(src.key, src.etag, src.firstRecord, pipeline),
    src,
    rows: draft.keys.length,
    rejected: draft.rejects.length,
    check: formatChecksum(keyChecksum(keys)),
    ts: Date.now(),
  };
}

export class DualWriteSink {
  private readonly keys: MirrorKeys;
  private batchCounter = 0;
  /**
   * Under `first` only: batches whose MySQL transaction has not finished, in batch order,
   * with their keys. A batch sharing a key with an earlier one still in flight waits for it,
   * so the first occurrence of a repeated key is the one kept, on every run. Batches without
   * such a key — nearly all — run their transactions concurrently (measured: fully ordered
   * transactions cost a third of the throughput). Under `last` the source-position guard of
   * the upsert decides whatever the commit order, and a keyless batch's "keys" are its rows'
   * content (identical rows would serialize transactions for nothing): no batch waits there.
   */
  private inflight: { keys: Set<string>; done: Promise<boolean> }[] = [];
  /**
   * The WAL intents in the order the batches were written (batch-turns.ts): a crash leaves
   * the intents of a prefix of them, never a later batch's without an earlier one's.
   */
  private readonly intents = new BatchTurns('WAL intent');
  /**
   * The batch of this pass last found in or written to the ledger. Every transaction first
   * checks that the ledger still holds it: a server that lost its latest commits, or a
   * backup restored under the loader, loses that batch first.
   */
  private lastInLedger?: string;
  /**
   * The batch of this pass the ledger lost, once it lost one (a crash under
   * innodb_flush_log_at_trx_commit=0/2, or a backup restored under the loader). Every write
   * of this pass stops then, not only the one that noticed: a batch that went on could take
   * a repeated key before the lost earlier one is back. The next pass starts over from
   * what the ledger holds.
   */
  private vanished?: string;
  /** The dataset: its table, columns, key and duplicate policy. */
  private readonly spec: ResolvedSpec;
  /** How rows go to the table in key order (`first` with a key only; see batch-order.ts). */
  private readonly rowOrder: { numeric: boolean } | undefined;

  constructor(
    private readonly config: Config,
    private readonly pool: Pool,
    private readonly redis: Redis,
    private readonly wal: WalWriter,
    private readonly method: WriteMethod,
    private readonly metrics: LoaderMetrics,
    private readonly log: Logger,
    private readonly events: SinkOptions = {},
  ) {
    this.keys = mirrorKeys(config.redis.keyPrefix);
    this.spec = datasetOf(config);
    const key = this.spec.columns.filter((c) => c.key);
    this.rowOrder = this.spec.duplicates === 'first' && key.length > 0 ? { numeric: key.length === 1 && key[0].type === 'integer' } : undefined;
  }

  /** `lease`: the object lease the batch is written under (its transaction checks it is still held). */
  async write(draft: BatchDraft, signal: AbortSignal, lease?: LeaseFence): Promise<BatchOutcome> {
    const n = ++this.batchCounter;
    const keys = new Set(draft.keys);
    const intent = intentFor(draft, keys, this.config.pipeline);
    // Both taken before the first await: write() is called in batch order, and a later
    // batch must see every earlier one that is still in flight.
    const turn = this.intents.take();
    if (this.spec.duplicates !== 'first') return this.writeRegistered(draft, intent, n, signal, [], () => undefined, lease, turn);
    const earlier = this.inflight.filter((b) => sharesKey(b.keys, keys)).map((b) => b.done);
    let release!: (ok: boolean) => void;
    const mine = { keys, done: new Promise<boolean>((r) => (release = r)) };
    this.inflight.push(mine);
    // The first call counts: true once the transaction committed (a later batch sharing a
    // key may go on), false when the batch failed before (it must not: it would take the key).
    let released = false;
    const finished = (ok: boolean) => {
      if (released) return;
      released = true;
      const i = this.inflight.indexOf(mine);
      if (i >= 0) this.inflight.splice(i, 1);
      release(ok);
    };
    return this.settled(this.writeRegistered(draft, intent, n, signal, earlier, finished, lease, turn), finished);
  }

  /** A batch's outcome, its waiters told whether it succeeded. */
  private async settled(write: Promise<BatchOutcome>, finished: (ok: boolean) => void): Promise<BatchOutcome> {
    try {
      const out = await write;
      finished(true);
      return out;
    } catch (e) {
      finished(false);
      throw e;
    }
  }

  /**
   * One batch as a two-phase write: a replay found in the ledger is skipped; else the intent
   * goes to the WAL, then the mirror entry and the MySQL transaction are written at once
   * (the transaction after the earlier batches in flight that share a key with it), then the
   * commit record. A crash between the intent and the commit record leaves the batch in doubt
   * for the reconciler.
   */
  private async writeRegistered(draft: BatchDraft, intent: IntentRecord, n: number, signal: AbortSignal, earlier: Promise<boolean>[], finished: (ok: boolean) => void, lease: LeaseFence | undefined, turn: Turn): Promise<BatchOutcome> {
    const retry = this.mysqlRetry(intent, signal);
    let replay: BatchOutcome | undefined;
    try {
      replay = await this.replayed(draft, intent, retry);
      await turn.ready;
      if (!replay) await this.appendIntent(intent, n);
      turn.done(true);
    } catch (e) {
      turn.done(false);
      throw e;
    }
    if (replay) return replay;
    const mirrorDone = this.mirror(draft, intent, signal);
    // The table's write in key order (batch-order.ts); the mirror keeps the engine's order.
    const tsv = this.rowOrder ? tsvInKeyOrder(draft.tsv, draft.keys, this.rowOrder.numeric) : draft.tsv;
    const tx = await Promise.all(earlier).then(async (oks) => {
      if (!oks.every(Boolean)) throw new EarlierBatchFailedError('transaction');
      return retryWhileDown(() => this.transaction(draft, intent, tsv, n, lease, mirrorDone), retry);
    });
    finished(true);
    this.lastInLedger = intent.id;
    await mirrorDone;
    faultAt('after-commit', n);
    return this.recordCommit(draft, intent, tx, retry);
  }

  /** How MySQL calls of one batch are retried: while the server is down, and while a reconcile run holds the pipeline. */
  private mysqlRetry(intent: IntentRecord, signal: AbortSignal): RetryOptions {
    let held = false;
    return {
      operation: 'mysql',
      signal,
      retryable: (e: unknown) => mysqlRetryable(e) || e instanceof PipelineHeldError,
      onRetry: (attempt: number, e: unknown) => {
        if (e instanceof PipelineHeldError) {
          if (!held) this.events.onHeld?.(e);
          held = true;
          return;
        }
        this.metrics.retries.inc({ operation: 'mysql' });
        // A deadlock between two in-flight batches is routine (InnoDB picks a victim); only
        // an unreachable server is worth a state change.
        if ((e as { code?: string }).code === 'ER_LOCK_DEADLOCK') this.log.debug('deadlock between batches; retrying', { batch: intent.id });
        else if (attempt === 1) this.events.onWaiting?.('mysql', e);
      },
      onRecovered: () => this.events.onRecovered?.('mysql'),
    };
  }

  /** A replay (restart from checkpoint) finds its batch in the ledger: nothing to write. */
  private async replayed(draft: BatchDraft, intent: IntentRecord, retry: RetryOptions): Promise<BatchOutcome | undefined> {
    const found = await retryWhileDown(() => ledgerEntry(this.pool, intent.id), retry);
    if (!found) return undefined;
    const existing = provenReplay(found, intent);
    this.lastInLedger = intent.id;
    await this.wal.append({ t: 'skip', id: intent.id, ts: Date.now() }, { sync: false });
    this.metrics.batches.inc({ result: 'skipped' });
    return { id: intent.id, result: 'skipped', records: draft.src.records, inserted: existing.rowsInserted, duplicate: existing.rowsDuplicate, rejected: existing.rowsRejected };
  }

  /** The intent, durable in the WAL before anything is written. */
  private async appendIntent(intent: IntentRecord, n: number): Promise<void> {
    const endWal = this.metrics.batchDuration.startTimer({ sink: 'wal' });
    await this.wal.append(intent);
    endWal();
    faultAt('after-intent', n);
  }

  /** The batch's mirror entry in Redis, retried while Redis is down; awaited after the transaction. */
  private mirror(draft: BatchDraft, intent: IntentRecord, signal: AbortSignal): Promise<void> {
    const mirrorDone = retryWhileDown(
      async () => {
        const end = this.metrics.batchDuration.startTimer({ sink: 'redis' });
        await putMirrorEntry(this.redis, this.keys, intent, draft.tsv, draft.rejects, this.config.mirror.compress);
        end();
      },
      {
        operation: 'redis',
        signal,
        retryable: isRedisConnectionError,
        onRetry: (attempt, e) => {
          this.metrics.retries.inc({ operation: 'redis' });
          if (attempt === 1) this.events.onWaiting?.('redis', e);
        },
        onRecovered: () => this.events.onRecovered?.('redis'),
      },
    );
    mirrorDone.catch(() => undefined); // awaited later; avoid an unhandled rejection meanwhile
    return mirrorDone;
  }

  /** One attempt at the batch's MySQL transaction: rows, dead letters and ledger row, under its lease and the pipeline hold. */
  private async transaction(draft: BatchDraft, intent: IntentRecord, tsv: Buffer, n: number, lease: LeaseFence | undefined, mirrorDone: Promise<void>): Promise<BatchTxResult> {
    if (this.vanished !== undefined) throw new BatchVanishedError(this.vanished);
    const conn = await this.pool.getConnection();
    const end = this.metrics.batchDuration.startTimer({ sink: 'mysql' });
    try {
      const r = await writeBatchTx(conn, {
        spec: this.spec,
        stillCommitted: this.lastInLedger,
        lease,
        respectHold: true,
        intent,
        tsv,
        rejects: draft.rejects,
        committedBy: 'loader',
        method: this.method,
        pipeline: this.config.pipeline,
        beforeCommit: faultArmed('before-commit', n) ? () => mirrorDone.then(() => faultAt('before-commit', n)) : undefined,
      });
      end();
      conn.release();
      return r;
    } catch (e) {
      // A connection that saw an error may be half-way through a protocol exchange.
      conn.destroy();
      if (e instanceof BatchVanishedError) this.vanished = e.batchId;
      if (e instanceof PipelineHeldError && this.events.abandonedHold === 'stop' && (await holdAbandoned(this.pool, e.pipeline, e.runId))) throw new HoldAbandonedError(e);
      throw e;
    }
  }

  /** The commit record: the batch's counts (from the ledger when the commit's acknowledgement was lost and the retry found it written). */
  private async recordCommit(draft: BatchDraft, intent: IntentRecord, tx: BatchTxResult, retry: RetryOptions): Promise<BatchOutcome> {
    let inserted = tx.inserted;
    let duplicate = tx.duplicate;
    if (!tx.written) {
      // The ledger had it after all: a COMMIT whose acknowledgement was lost, then retried.
      const found = await retryWhileDown(() => ledgerEntry(this.pool, intent.id), retry);
      const entry = found && provenReplay(found, intent);
      inserted = entry?.rowsInserted ?? 0;
      duplicate = entry?.rowsDuplicate ?? 0;
    }
    await this.wal.append({ t: 'commit', id: intent.id, inserted, duplicate, ts: Date.now() }, { sync: false });
    this.metrics.batches.inc({ result: 'committed' });
    return { id: intent.id, result: 'committed', records: draft.src.records, inserted, duplicate, rejected: draft.rejects.length };
  }

  /** A new pass over the source, planned from the ledger as it is now. */
  startPass(): void {
    this.vanished = undefined;
    this.lastInLedger = undefined;
  }

  /** Drop mirror entries past the retention window (only ever committed batches). */
  async trim(): Promise<void> {
    try {
      await trimMirror(this.redis, this.keys, this.config.mirror.retentionBatches, this.config.mirror.retentionSeconds);
    } catch (e) {
      this.log.warn('mirror trim failed; will retry after the next batch', { error: (e as Error).message });
    }
  }
}
