// What is left to load: the source listing (S3 or a local file/folder) against the
// loader's checkpoint. Object keys are canonical the way the loader writes them in the
// checkpoint: s3://bucket/key for S3, the absolute path for local files.
import { compareKeys, type Checkpoint } from '@pipewarden/core';
import { NoObjectMatchesError, type Source, type SourceObject } from '@pipewarden/loader';

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

const unfinished = new WeakMap<object, Promise<SourceObject[]>>();

/**
 * The objects a pipeline's loader lists: its source URL with its glob and
 * PIPEWARDEN_SOURCE_MATCH, through the loader's own source (one rule for which objects a
 * source holds: before, a glob listed nothing here and a match counted the objects the
 * loader leaves out as pending for ever). Within `timeoutMs`: one listing serves every
 * scrape waiting on it, so it has a deadline of its own.
 */
export async function listSource(source: Pick<Source, 'list'>, timeoutMs: number, what: string): Promise<ListedObject[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`listing ${what} took longer than ${timeoutMs} ms`)), timeoutMs)));
  // A listing past its deadline is not cancelled (a source lists without a signal; S3's
  // requests have their own deadlines): the next scrape waits on it rather than start another.
  let listing = unfinished.get(source);
  if (!listing) {
    listing = source.list().finally(() => unfinished.delete(source));
    unfinished.set(source, listing);
  }
  try {
    return (await Promise.race([listing, deadline])).map((o) => ({ key: o.key, size: o.size }));
  } catch (e) {
    if (e instanceof NoObjectMatchesError) return []; // nothing selected yet: nothing pending
    throw e;
  } finally {
    clearTimeout(timer);
  }
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
