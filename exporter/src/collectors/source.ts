// Source objects and bytes still to load. The listing is cached for a few seconds (S3
// LIST requests cost money and time); the checkpoint is a small local file read fresh.
import type { S3Client } from '@aws-sdk/client-s3';
import { readCheckpoint } from '@pipewarden/core';
import { one, type Collector } from '../collector';
import { listLocal, listS3, parseS3Url, sourceProgress, TtlCache, type ListedObject } from '../source';

export function sourceCollector(opts: { source?: string; walDir: string; s3: S3Client; cacheMs: number; timeoutMs: number }): Collector {
  const { source } = opts;
  const listing = source
    ? new TtlCache<ListedObject[]>(opts.cacheMs, async () =>
        // Its own deadline, not a scrape's: one listing serves every scrape waiting on it.
        parseS3Url(source) ? listS3(opts.s3, source, AbortSignal.timeout(opts.timeoutMs)) : listLocal(source),
      )
    : undefined;
  return {
    name: 'source',
    metrics: ['sourceObjects', 'sourceObjectsPending', 'sourceBytesPending'],
    async collect() {
      // No source configured: nothing to say, rather than a misleading "0 pending".
      if (!listing) return {};
      const p = sourceProgress(await listing.get(), readCheckpoint(opts.walDir));
      return { sourceObjects: one(p.objects), sourceObjectsPending: one(p.objectsPending), sourceBytesPending: one(p.bytesPending) };
    },
  };
}
