// Source objects and bytes still to load, per pipeline: its source's listing against its
// checkpoint (in its WAL folder). Listings are cached for a few seconds (S3 LIST requests
// cost money and time); the checkpoints are small local files read fresh.
import { readCheckpoint, type Config } from '@pipewarden/core';
import { openSource, type Source } from '@pipewarden/loader';
import type { Collector } from '../collector';
import { PerPipeline, type WatchedPipeline } from '../pipelines';
import { listSource, sourceProgress, TtlCache, type ListedObject, type SourceProgress } from '../source';

export function sourceCollector(opts: { config: Config; pipelines: readonly Pick<WatchedPipeline, 'name' | 'walDir' | 'source' | 'sourceMatch'>[]; cacheMs: number; timeoutMs: number }): Collector {
  // One cached listing per source (and selection), not per pipeline: two pipelines reading
  // the same objects (their batch ids differ) list them once.
  const listings = new Map<string, TtlCache<ListedObject[]>>();
  const sources: Source[] = [];
  const listingOf = (url: string, sourceMatch: string | undefined) => {
    const id = `${url}\0${sourceMatch ?? ''}`;
    let c = listings.get(id);
    if (!c) {
      const source = openSource(url, { ...opts.config, sourceMatch });
      sources.push(source);
      c = new TtlCache<ListedObject[]>(opts.cacheMs, () => listSource(source, opts.timeoutMs, url));
      listings.set(id, c);
    }
    return c;
  };
  // A pipeline without a source has nothing to say, rather than a misleading "0 pending".
  const watched = opts.pipelines.flatMap(({ name, walDir, source, sourceMatch }) => (source ? [{ pipeline: name, walDir, listing: listingOf(source, sourceMatch) }] : []));
  return {
    name: 'source',
    metrics: ['sourceObjects', 'sourceObjectsPending', 'sourceBytesPending'],
    async collect() {
      if (watched.length === 0) return {};
      const by = new PerPipeline<SourceProgress>(watched.map((w) => w.pipeline), () => ({ objects: 0, objectsPending: 0, bytesPending: 0 }));
      await Promise.all(watched.map(async (w) => Object.assign(by.get(w.pipeline), sourceProgress(await w.listing.get(), readCheckpoint(w.walDir)))));
      return { sourceObjects: by.samples((x) => x.objects), sourceObjectsPending: by.samples((x) => x.objectsPending), sourceBytesPending: by.samples((x) => x.bytesPending) };
    },
    async close() {
      for (const s of sources) s.close();
    },
  };
}
