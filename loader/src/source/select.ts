// Which objects of a source to load (issue 18): a glob in the source URL
// (s3://bucket/raw/fy20*/**/*.csv.gz, ./drops/**/*.csv) and/or a regular expression on the key
// (PIPEWARDEN_SOURCE_MATCH). The listing starts at the longest prefix without a glob
// character, so S3 lists only under it, and the keys are matched as they come; the order
// stays the listing's (by key).
import { resolve } from 'node:path';
import picomatch from 'picomatch';
import { UserError } from '@pipewarden/core';
import { isS3Url, parseS3Url } from './s3';
import type { ListWindow, Source, SourceObject } from './types';

const GLOB_CHAR = /[*?[\]{}]/;

export interface SourceSelection {
  /** What to list: the URL up to the directory before the first glob character. */
  base: string;
  /** Does a listed key belong to the source? */
  keep(key: string): boolean;
  /** Whether anything narrows the listing (then a folder's own filter on file names is off). */
  narrowed: boolean;
}

/** Split a source URL into what to list and which listed keys to keep. */
export function selectionOf(url: string, match?: string): SourceSelection {
  const s3 = isS3Url(url) ? parseS3Url(url) : undefined;
  const path = s3 ? s3.prefix : resolve(url);
  const at = path.search(GLOB_CHAR);
  const baseDir = at < 0 ? path : path.slice(0, path.lastIndexOf('/', at) + 1);
  const base = s3 ? `s3://${s3.bucket}/${baseDir}` : baseDir;
  // A key as the user names it: without s3://bucket/ for S3, the path under the folder for files.
  const nameOf = (key: string) => (s3 ? key.slice(`s3://${s3.bucket}/`.length) : key);
  const glob = at < 0 ? undefined : picomatch(path, { dot: true });
  let regex: RegExp | undefined;
  try {
    regex = match ? new RegExp(match) : undefined;
  } catch (e) {
    throw new UserError(`PIPEWARDEN_SOURCE_MATCH is not a regular expression: ${(e as Error).message}`);
  }
  const relative = (key: string) => (s3 ? nameOf(key) : key.startsWith(baseDir) ? key.slice(baseDir.length).replace(/^\//, '') : key);
  return {
    base,
    narrowed: glob !== undefined || regex !== undefined,
    keep: (key) => (!glob || glob(nameOf(key))) && (!regex || regex.test(relative(key))),
  };
}

/** A glob or PIPEWARDEN_SOURCE_MATCH that selects nothing: an error for a load, a normal state for monitoring (today's drop has not come). */
export class NoObjectMatchesError extends UserError {}

/** A source listing only the selected objects. */
export class SelectingSource implements Source {
  constructor(
    readonly url: string,
    private readonly raw: Source,
    private readonly selection: SourceSelection,
  ) {}

  async list(window: ListWindow = {}): Promise<SourceObject[]> {
    const objects = window.limit === undefined ? (await this.raw.list(window)).filter((o) => this.selection.keep(o.key)) : await this.listWindow(window.limit, window.after);
    if (objects.length === 0 && this.selection.narrowed && window.after === undefined) throw new NoObjectMatchesError(`no object under ${this.selection.base} matches ${this.url}`, 'check the glob or PIPEWARDEN_SOURCE_MATCH against the keys there (`aws s3 ls`, `ls -R`)');
    return objects;
  }

  /** Up to `limit` selected objects after `after`: the raw listing is read a window at a time until enough are kept. */
  private async listWindow(limit: number, after: string | undefined): Promise<SourceObject[]> {
    const kept: SourceObject[] = [];
    const step = Math.max(limit, 1000);
    for (let cursor = after; kept.length < limit; ) {
      const page = await this.raw.list({ after: cursor, limit: step });
      for (const o of page) if (this.selection.keep(o.key)) kept.push(o);
      if (page.length < step) break;
      cursor = page[page.length - 1].key;
    }
    return kept.slice(0, limit);
  }

  stat(key: string): Promise<SourceObject | undefined> {
    return this.raw.stat(key);
  }

  open(object: SourceObject, startByte: number, signal?: AbortSignal, endByte?: number) {
    return this.raw.open(object, startByte, signal, endByte);
  }

  close(): void {
    this.raw.close();
  }
}
