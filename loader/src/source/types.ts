import type { Readable } from 'node:stream';

export interface SourceObject {
  /** Canonical key: s3://bucket/key or an absolute file path. */
  key: string;
  etag: string;
  size: number;
}

/** Where input comes from: S3 (ranged, resumable GetObject) or local files, one interface. */
export interface Source {
  readonly url: string;
  list(): Promise<SourceObject[]>;
  /** Stream the object's bytes from `startByte` up to `endByte` (excluded; default its end); fails clearly if the object changed (ETag). */
  open(object: SourceObject, startByte: number, signal?: AbortSignal, endByte?: number): Readable;
  close(): void;
}
