// The write phase of one object (or one byte range of it): the engine cuts batches; each
// waits for the throttle, then goes through the dual-write sink (WAL intent, MySQL
// transaction beside the Redis mirror, WAL commit) with `pipelineDepth` batches in flight;
// batches settle in order, and each settled batch advances the object's checkpoint.
import { LeaseLostError, type ObjectCheckpoint, type RangeRow } from '@pipewarden/core';
import { readHeader } from '../engine/inline';
import type { BatchDraft, EngineStart } from '../engine/types';
import type { HeldLease } from '../leases';
import type { BatchOutcome } from '../sink';
import type { SourceObject } from '../source';
import { childAbort } from './claims';
import type { LoadSession } from './session';

/** A batch handed to the sink, not yet settled. */
interface InFlight {
  draft: BatchDraft;
  done: Promise<BatchOutcome>;
}

/** One object's (or range's) write: what its batches share. */
interface ObjectWrite {
  obj: SourceObject;
  oc: ObjectCheckpoint;
  range?: RangeRow;
  lease: HeldLease;
  signal: AbortSignal;
  inflight: InFlight[];
}

export class ObjectWriter {
  constructor(private readonly s: LoadSession) {}

  /** Load an object (its checkpoint `oc`), or one range of it (`oc` then the range's own, kept in memory only). */
  async load(obj: SourceObject, oc: ObjectCheckpoint, range?: RangeRow): Promise<void> {
    const { s } = this;
    const ctl = childAbort(s.signal);
    const w: ObjectWrite = { obj, oc, range, lease: s.leases.hold(obj, () => ctl.abort(), range), signal: ctl.signal, inflight: [] };
    try {
      // A position from the ledger (no checkpoint here) comes without the header.
      if (oc.nextByte > 0 && !oc.header.length) oc.header = await readHeader(s.source, obj, ctl.signal);
      await this.writeBatches(w);
      if (w.lease.lost) throw new LeaseLostError(obj.key, s.leases.owner);
      if (!s.signal.aborted) this.finishObject(w);
    } catch (e) {
      ctl.abort();
      // Let in-flight batches finish or fail before the connections close.
      await Promise.allSettled(w.inflight.map((x) => x.done));
      throw w.lease.lost && !s.signal.aborted ? new LeaseLostError(obj.key, s.leases.owner) : e;
    } finally {
      w.lease.stop();
      ctl.detach();
    }
  }

  /** The engine's batches through the throttle and the sink, `pipelineDepth` at a time, settled in order. */
  private async writeBatches(w: ObjectWrite): Promise<void> {
    const { config, engine, source, sink, throttle } = this.s;
    const { oc, range } = w;
    const start: EngineStart = { nextRecord: oc.nextRecord, nextByte: oc.nextByte, nextLine: oc.nextLine, header: oc.header.length ? oc.header : undefined, batchSize: oc.batchSize };
    if (range) start.end = { byte: range.endByte, record: range.firstRecord + range.records };
    for await (const draft of engine.batches(source, w.obj, start, w.signal)) {
      if (draft.header.length && !oc.header.length) oc.header = draft.header;
      if (draft.src.records === 0) {
        if (draft.last) oc.done = true;
        continue;
      }
      await throttle.beforeBatch(draft.keys.length, draft.tsv.length, w.signal);
      const done = sink.write(draft, w.signal, w.lease.fence);
      done.catch(() => undefined);
      w.inflight.push({ draft, done });
      if (w.inflight.length >= config.batch.pipelineDepth) await this.settle(w);
    }
    while (w.inflight.length > 0) await this.settle(w);
  }

  /** The oldest batch in flight settles: the checkpoint moves past it, the mirror is trimmed. */
  private async settle(w: ObjectWrite): Promise<void> {
    const head = w.inflight.shift()!;
    const out = await head.done;
    this.s.tally.count(w.obj, w.oc, head.draft, out);
    if (!w.range) this.s.checkpoint.saveBatch();
    await this.s.sink.trim();
  }

  /** Every batch settled: the object (or range) is done, and every byte of it read. */
  private finishObject(w: ObjectWrite): void {
    const { tally } = this.s;
    const { obj, oc, range } = w;
    oc.done = true;
    // Done means every byte read: what lies after the last record (and, for an engine
    // without byte offsets, what its last, empty batch would have reported).
    const rest = (range ? range.endByte : obj.size) - (tally.engineBytes.get(obj.key) ?? oc.nextByte);
    if (rest > 0 && !obj.encoding) tally.bytesRead(rest);
    if (!range) this.s.checkpoint.save();
  }
}
