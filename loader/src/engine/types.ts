// The engine contract: an engine turns one source object into batches of normalized rows.
// Inline (TypeScript, streaming) and Spark engines both produce BatchDrafts; everything
// after this point (WAL, dual-write sink, checkpoint) is shared.
import type { SourceRange, OddityCounter, DeadLetter } from '@pipewarden/core';
import type { SourceObject, Source } from '../source/types';

export interface BatchDraft {
  /** Where the batch's records are in the source. startByte/endByte are -1 when unknown (Spark). */
  src: SourceRange;
  /** Kept rows, encoded with encodeTsvLine (spec column order), concatenated. */
  tsv: Buffer;
  /** Key texts (RowRules.keyOfValues) of the kept rows, in order (may contain duplicates from the source); keyless: each row's line. */
  keys: string[];
  rejects: DeadLetter[];
  /** Oddities (fields made NULL) in this batch. */
  oddities: OddityCounter;
  /** Header of the object (the checkpoint keeps it for resumed ranged reads). */
  header: string[];
  /** Spec columns (names) the object's header lacks: loaded as NULL, reported (Spark: undefined until it maps headers itself). */
  absent?: string[];
  /** Source bytes consumed up to the end of this batch (for progress). */
  bytesRead: number;
  /** Line number after the batch's last record (resume point); unknown for Spark. */
  nextLine?: number;
  /** True for the object's last batch. */
  last: boolean;
}

export interface EngineStart {
  /** Resume point: ordinal of the first record to read (1 = the start). */
  nextRecord: number;
  nextByte: number;
  nextLine: number;
  /** Header known from the checkpoint when resuming mid-object. */
  header?: string[];
  batchSize: number;
  /**
   * Stop at a range's end (a split object, core/src/db/ranges.ts): the byte after its last
   * record and the ordinal after it. Only the inline engine cuts objects into ranges.
   */
  end?: { byte: number; record: number };
}

export interface Engine {
  readonly name: 'inline' | 'spark';
  /** Batches of one object, from `start`, in order; must honour back-pressure (async iteration). */
  batches(source: Source, object: SourceObject, start: EngineStart, signal: AbortSignal): AsyncIterable<BatchDraft>;
}
