// What is left to load: the source listing (S3 or a local file/folder) against the
// loader's checkpoint. Object keys are canonical the way the loader writes them in the
// checkpoint: s3://bucket/key for S3, the absolute path for local files.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SOURCE_FILE_NAME, UserError, compareKeys, type Checkpoint } from '@pipewarden/core';

export interface ListedObject {
  key: string;
  size: number;
}

export interface SourceProgress {
  objects: number;
  objectsPending: number;
  bytesPending: number;
}

/**
 * Objects not marked done in the checkpoint are pending; their pending bytes are what
 * lies past the checkpoint's next byte (all of it when the loader has not started them).
 */
export function sourceProgress(listing: readonly ListedObject[], checkpoint: Checkpoint): SourceProgress {
  let objectsPending = 0;
  let bytesPending = 0;
  // Windows of the listing the loader proved and dropped from its checkpoint.
  const through = checkpoint.provedThrough;
  for (const o of listing) {
    const cp = checkpoint.objects[o.key];
    if (cp?.done) continue;
    if (!cp && through !== undefined && compareKeys(o.key, through) <= 0) continue;
    objectsPending++;
    bytesPending += Math.max(0, o.size - (cp?.nextByte ?? 0));
  }
  return { objects: listing.length, objectsPending, bytesPending };
}

export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(url);
  return m ? { bucket: m[1], prefix: m[2] } : undefined;
}

export async function listS3(client: S3Client, url: string, signal: AbortSignal): Promise<ListedObject[]> {
  const loc = parseS3Url(url);
  if (!loc) throw new UserError(`"${url}" is not an S3 URL (expected s3://bucket/prefix)`);
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const res = await client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix, ContinuationToken: token }), { abortSignal: signal });
    for (const o of res.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      out.push({ key: `s3://${loc.bucket}/${o.Key}`, size: o.Size ?? 0 });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** A file, or every CSV (plain or compressed) and Parquet file under a folder (what the loader's local source reads). */
export function listLocal(path: string): ListedObject[] {
  const root = resolve(path);
  if (!existsSync(root)) throw new UserError(`source ${root} does not exist`);
  const files = statSync(root).isDirectory()
    ? readdirSync(root, { recursive: true, encoding: 'utf8' })
        .filter((f) => SOURCE_FILE_NAME.test(f))
        .map((f) => join(root, f))
    : [root];
  return files.map((key) => ({ key, size: statSync(key).size }));
}

/**
 * A value reloaded at most every `ttlMs`, shared by concurrent callers, so a scrape storm
 * (several Prometheus replicas, a dashboard hammering a federation) lists S3 once. A
 * failed load is not cached: the next scrape tries again.
 */
export class TtlCache<T> {
  private value?: { at: number; v: T };
  private inflight?: Promise<T>;
  constructor(private readonly ttlMs: number, private readonly load: () => Promise<T>, private readonly now = () => Date.now()) {}

  get(): Promise<T> {
    if (this.value && this.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.v);
    this.inflight ??= this.load()
      .then((v) => {
        this.value = { at: this.now(), v };
        return v;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }
}
