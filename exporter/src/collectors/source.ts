// Source objects and bytes still to load, per pipeline: its source's listing against its
// checkpoint (in its WAL folder). Listings are cached for a few seconds (S3 LIST requests
// cost money and time); the checkpoints are small local files read fresh.
import type { S3Client } from '@aws-sdk/client-s3';
import { readCheckpoint } from '@pipewarden/core';
import type { Collector } from '../collector';
import { PerPipeline, type WatchedPipeline } from '../pipelines';
import { listLocal, listS3, parseS3Url, sourceProgress, TtlCache, type ListedObject, type SourceProgress } from '../source';

export function sourceCollector(opts: { pipelines: readonly Pick<WatchedPipeline, 'name' | 'walDir' | 'source'>[]; s3: S3Client; cacheMs: number; timeoutMs: number }): Collector {
  // One cached listing per source, not per pipeline: two pipelines reading the same source
  // (their batch ids differ, the objects are the same) list it once.
  const listings = new Map<string, TtlCache<ListedObject[]>>();
  const listingOf = (source: string) => {
    let c = listings.get(source);
    if (!c) {
      c = new TtlCache<ListedObject[]>(opts.cacheMs, async () =>
        // Its own deadline, not a scrape's: one listing serves every scrape waiting on it.
        parseS3Url(source) ? listS3(opts.s3, source, AbortSignal.timeout(opts.timeoutMs)) : listLocal(source),
      );
      listings.set(source, c);
    }
    return c;
  };
  // A pipeline without a source has nothing to say, rather than a misleading "0 pending".
  const watched = opts.pipelines.flatMap(({ name, walDir, source }) => (source ? [{ pipeline: name, walDir, listing: listingOf(source) }] : []));
  return {
    name: 'source',
    metrics: ['sourceObjects', 'sourceObjectsPending', 'sourceBytesPending'],
    async collect() {
      if (watched.length === 0) return {};
      const by = new PerPipeline<SourceProgress>(watched.map((w) => w.pipeline), () => ({ objects: 0, objectsPending: 0, bytesPending: 0 }));
      await Promise.all(watched.map(async (w) => Object.assign(by.get(w.pipeline), sourceProgress(await w.listing.get(), readCheckpoint(w.walDir)))));
      return { sourceObjects: by.samples((x) => x.objects), sourceObjectsPending: by.samples((x) => x.objectsPending), sourceBytesPending: by.samples((x) => x.bytesPending) };
    },
  };
}
