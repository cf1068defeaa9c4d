// Local files (a file, or every CSV and Parquet file under a folder) behind the Source interface. The
// "ETag" is size + mtime: enough to notice a file replaced between runs.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { SOURCE_FILE_NAME, UserError, compareKeys, sortKeys } from '@pipewarden/core';
import { ObjectChangedError, type ListWindow, type Source, type SourceObject } from './types';

function fileEtag(path: string): { etag: string; size: number } {
  const st = statSync(path);
  return { etag: `${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}`, size: st.size };
}

export class LocalSource implements Source {
  readonly url: string;
  /** `anyName`: list every file of a folder (a glob or a pattern selects them), not only CSV names. */
  constructor(
    path: string,
    private readonly opts: { anyName?: boolean } = {},
  ) {
    this.url = resolve(path);
  }

  async list(window: ListWindow = {}): Promise<SourceObject[]> {
    if (!existsSync(this.url)) throw new UserError(`source ${this.url} does not exist`);
    const st = statSync(this.url);
    const files = st.isDirectory()
      ? readdirSync(this.url, { recursive: true, encoding: 'utf8' })
          .filter((f) => this.opts.anyName || SOURCE_FILE_NAME.test(f))
          .filter((f) => !this.opts.anyName || statSync(join(this.url, f)).isFile())
          .map((f) => join(this.url, f))
      : [this.url];
    // A folder is read whole per window (readdir has no "after").
    const sorted = sortKeys(files);
    const from = window.after === undefined ? sorted : sorted.filter((k) => compareKeys(k, window.after!) > 0);
    return from.slice(0, window.limit ?? from.length).map((key) => ({ key, ...fileEtag(key) }));
  }

  async stat(key: string): Promise<SourceObject | undefined> {
    return existsSync(key) && statSync(key).isFile() ? { key, ...fileEtag(key) } : undefined;
  }

  open(object: SourceObject, startByte: number, _signal?: AbortSignal, endByte?: number): Readable {
    const now = fileEtag(object.key);
    if (now.etag !== object.etag) {
      throw new ObjectChangedError(object.key, object.etag, now.etag);
    }
    if (endByte !== undefined && endByte <= startByte) return Readable.from([]);
    return createReadStream(object.key, { start: startByte, ...(endByte !== undefined ? { end: endByte - 1 } : {}), highWaterMark: 1 << 20 });
  }

  close(): void {}
}
