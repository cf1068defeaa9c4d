import type { Readable } from 'node:stream';
import { UserError } from '@pipewarden/core';

/** An object changed (a new ETag) since it was listed: raised by a read, so no batch ever mixes two versions. */
export class ObjectChangedError extends UserError {
  constructor(
    readonly key: string,
    readonly was: string,
    now?: string,
  ) {
    super(
      `${key} changed while loading (its ETag is no longer ${was}${now ? `, now ${now}` : ''})`,
      'PIPEWARDEN_ON_CHANGE decides what a load does with a changed object: fail (the default), skip it, or reload the new version',
    );
    this.name = 'ObjectChangedError';
  }
}

/** A compressed object's format, known from its first bytes (./decode.ts). */
export type Encoding = 'gzip' | 'zstd' | 'bzip2';

export interface SourceObject {
  /** Canonical key: s3://bucket/key or an absolute file path. */
  key: string;
  etag: string;
  /** Bytes stored (compressed, for an encoded object). */
  size: number;
  /** Set when the object is compressed: offsets of batches and checkpoints are then offsets into the decoded bytes. */
  encoding?: Encoding;
  /** Set for a Parquet object (its first bytes are PAR1): read by row group, its batches addressed by row, not byte. */
  format?: 'parquet';
}

/** A window of a listing: the objects whose keys come after `after` (in key order), at most `limit` of them. */
export interface ListWindow {
  after?: string;
  limit?: number;
}


/** Where input comes from: S3 (ranged, resumable GetObject) or local files, one interface. */
export interface Source {
  readonly url: string;
  /** The objects in key order; a window lists only part of them, so a huge source is never held whole. */
  list(window?: ListWindow): Promise<SourceObject[]>;
  /** One object by its key (undefined when it is gone): what a re-read of one batch needs, without a listing. */
  stat(key: string): Promise<SourceObject | undefined>;
  /** Stream the object's bytes from `startByte` up to `endByte` (excluded; default its end); fails clearly if the object changed (ETag). */
  open(object: SourceObject, startByte: number, signal?: AbortSignal, endByte?: number): Readable;
  close(): void;
  /** Find each object's encoding and format from its first bytes (a source that decodes nothing has none). */
  probe?(objects: readonly SourceObject[], signal?: AbortSignal): Promise<void>;
}
