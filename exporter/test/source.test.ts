// Pieces of the collectors: pending work from a listing and a checkpoint, the listing of a
// source (local folders), the listing cache, INFO parsing, DATETIME conversion, the loader state one-hot.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOADER_STATES, loadConfig, type Checkpoint, type LoaderPipelineStatus, type ObjectCheckpoint } from '@pipewarden/core';
import { LocalSource, openSource } from '@pipewarden/loader';
import { listSource, sourceProgress, TtlCache } from '../src/source';
import { sourceCollector } from '../src/collectors/source';
import { parseInfo } from '../src/collectors/mirror';
import { loaderStates, loaderStateSamples } from '../src/collectors/services';

function cp(objects: Record<string, Partial<ObjectCheckpoint>>): Checkpoint {
  return { version: 1, updatedAt: 0, objects: objects as Record<string, ObjectCheckpoint> };
}

describe('sourceProgress', () => {
  const listing = [
    { key: 's3://b/a.csv', size: 1000 },
    { key: 's3://b/b.csv', size: 500 },
    { key: 's3://b/c.csv', size: 300 },
  ];
  it('counts an untouched object whole, a started one from its next byte, a done one not at all', () => {
    const p = sourceProgress(listing, cp({ 's3://b/a.csv': { done: true, nextByte: 1000 }, 's3://b/b.csv': { done: false, nextByte: 200 } }));
    expect(p).toEqual({ objects: 3, objectsPending: 2, bytesPending: 300 + 300 });
  });
  it('is all pending with an empty checkpoint and nothing pending when all are done', () => {
    expect(sourceProgress(listing, cp({}))).toEqual({ objects: 3, objectsPending: 3, bytesPending: 1800 });
    const done = Object.fromEntries(listing.map((o) => [o.key, { done: true, nextByte: o.size }]));
    expect(sourceProgress(listing, cp(done))).toEqual({ objects: 3, objectsPending: 0, bytesPending: 0 });
  });
  it('ignores checkpoint entries of objects no longer listed and never goes negative', () => {
    const p = sourceProgress([{ key: 's3://b/a.csv', size: 10 }], cp({ 's3://b/gone.csv': { done: false, nextByte: 5 }, 's3://b/a.csv': { done: false, nextByte: 50 } }));
    expect(p).toEqual({ objects: 1, objectsPending: 1, bytesPending: 0 });
  });
  it('counts objects of listing windows the loader proved and dropped from its checkpoint as done', () => {
    // PIPEWARDEN_LIST_WINDOW: a.csv and b.csv were in a proved window; c.csv is the window in progress.
    const p = sourceProgress(listing, { ...cp({ 's3://b/c.csv': { done: false, nextByte: 100 } }), provedThrough: 's3://b/b.csv' });
    expect(p).toEqual({ objects: 3, objectsPending: 1, bytesPending: 200 });
  });
});

describe('listSource: the objects the loader would list', () => {
  const folder = () => {
    const d = mkdtempSync(join(tmpdir(), 'pw-exporter-src-'));
    mkdirSync(join(d, 'fy2014'));
    mkdirSync(join(d, 'fy2015'));
    writeFileSync(join(d, 'fy2014', 'a.csv'), 'x,y\n1,2\n');
    writeFileSync(join(d, 'fy2014', 'b.csv.gz'), 'gz');
    writeFileSync(join(d, 'fy2015', 'c.CSV'), 'x\n');
    writeFileSync(join(d, 'notes.md'), 'no');
    return d;
  };
  const keys = async (url: string, sourceMatch?: string) => {
    const source = openSource(url, { ...loadConfig({ env: {}, useStackEnv: false }), sourceMatch });
    try {
      return (await listSource(source, 5000, url)).map((o) => o.key).sort();
    } finally {
      source.close();
    }
  };
  it('a folder: its CSV files (plain or compressed) by absolute path; a single file', async () => {
    const d = folder();
    const source = openSource(d, loadConfig({ env: {}, useStackEnv: false }));
    expect((await listSource(source, 5000, d)).sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: join(d, 'fy2014', 'a.csv'), size: 8 },
      { key: join(d, 'fy2014', 'b.csv.gz'), size: 2 },
      { key: join(d, 'fy2015', 'c.CSV'), size: 2 },
    ]);
    source.close();
  });
  // Before, the exporter listed a glob's text as a path (nothing, or an error) and counted
  // the objects a match leaves out as pending for ever (PipewardenLoaderStalled would fire).
  it('a glob and PIPEWARDEN_SOURCE_MATCH select what the loader selects', async () => {
    const d = folder();
    const globbed = openSource(join(d, 'fy2014', '*.csv'), loadConfig({ env: {}, useStackEnv: false }));
    expect((await listSource(globbed, 5000, 'glob')).map((o) => o.key)).toEqual([join(d, 'fy2014', 'a.csv')]);
    globbed.close();
    expect(await keys(d, '^fy2015/')).toEqual([join(d, 'fy2015', 'c.CSV')]);
  });
  // Found in review: one pipeline whose glob matched nothing failed the source metrics of every pipeline.
  it('a glob or match that selects nothing yet lists nothing, without an error', async () => {
    const d = folder();
    expect(await keys(join(d, 'fy2014', '*.parquet'))).toEqual([]);
    expect(await keys(d, '^fy2016/')).toEqual([]);
  });
  it('a listing that does not answer in time is an error naming the source; the next waits on it instead of starting another', async () => {
    let lists = 0;
    const never = { list: () => (lists++, new Promise<never>(() => undefined)) };
    await expect(listSource(never, 20, 's3://bucket/p')).rejects.toThrow('listing s3://bucket/p took longer than 20 ms');
    await expect(listSource(never, 20, 's3://bucket/p')).rejects.toThrow('took longer than 20 ms');
    expect(lists).toBe(1);
  });
});

describe('TtlCache', () => {
  it('loads once for concurrent callers and again only after the TTL', async () => {
    let now = 0;
    let loads = 0;
    const c = new TtlCache(5000, async () => ++loads, () => now);
    expect(await Promise.all([c.get(), c.get(), c.get()])).toEqual([1, 1, 1]);
    now = 4999;
    expect(await c.get()).toBe(1);
    now = 5000;
    expect(await c.get()).toBe(2);
  });
  it('does not cache a failure', async () => {
    let calls = 0;
    const c = new TtlCache(60_000, async () => {
      if (++calls === 1) throw new Error('S3 down');
      return 'ok';
    });
    await expect(c.get()).rejects.toThrow('S3 down');
    expect(await c.get()).toBe('ok');
  });
});

describe('small parsers', () => {
  it('reads used_memory and maxmemory from INFO memory', () => {
    const m = parseInfo('# Memory\r\nused_memory:1014264\r\nused_memory_human:990.49K\r\nmaxmemory:268435456\r\nmaxmemory_policy:noeviction\r\n');
    expect(m.get('used_memory')).toBe(1014264);
    expect(m.get('maxmemory')).toBe(268435456);
    expect(m.has('used_memory_human')).toBe(false);
  });
  it('one-hot encodes each pipeline\'s loader state over every state', () => {
    const s = loaderStateSamples([
      { pipeline: 'default', state: 'paused' },
      { pipeline: 'b', state: 'running' },
    ]);
    expect(s).toHaveLength(2 * LOADER_STATES.length);
    expect(s.filter((x) => x.value === 1)).toEqual([
      { labels: { pipeline: 'default', state: 'paused' }, value: 1 },
      { labels: { pipeline: 'b', state: 'running' }, value: 1 },
    ]);
  });
  it('reads the state of every pipeline of /status, or the top-level one as `default` from an older loader', () => {
    const p = (name: string, state: string) => ({ name, state }) as unknown as LoaderPipelineStatus;
    expect(loaderStates({ state: 'failed', pipelines: [p('a', 'running'), p('b', 'failed')] })).toEqual([
      { pipeline: 'a', state: 'running' },
      { pipeline: 'b', state: 'failed' },
    ]);
    expect(loaderStates({ state: 'paused' })).toEqual([{ pipeline: 'default', state: 'paused' }]);
    expect(() => loaderStates({ state: 'running', pipelines: [p('a', 'dancing')] })).toThrow(/unknown state "dancing" for pipeline a/);
    expect(() => loaderStates({})).toThrow(/unknown state undefined/);
  });
});

describe('sourceCollector', () => {
  it('lists a source two pipelines read once per scrape, and reports it for each', async () => {
    const base = mkdtempSync(join(tmpdir(), 'pw-exporter-src-'));
    const data = join(base, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'a.csv'), 'x'.repeat(100));
    const lists = jest.spyOn(LocalSource.prototype, 'list');
    const c = sourceCollector({
      config: loadConfig({ env: {}, useStackEnv: false }),
      pipelines: [
        { name: 'parking', walDir: join(base, 'parking'), source: data },
        { name: 'audit', walDir: join(base, 'audit'), source: data },
      ],
      cacheMs: 60_000,
      timeoutMs: 5_000,
    });
    try {
      const s = await c.collect(new AbortController().signal);
      expect(lists).toHaveBeenCalledTimes(1);
      expect(s.sourceBytesPending).toEqual([
        { labels: { pipeline: 'parking' }, value: 100 },
        { labels: { pipeline: 'audit' }, value: 100 },
      ]);
    } finally {
      lists.mockRestore();
      await c.close?.();
    }
  });
});
