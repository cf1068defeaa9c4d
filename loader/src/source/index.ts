import type { Config, Logger } from '@pipewarden/core';
import { UserError } from '@pipewarden/core';
import { LocalSource } from './local';
import { S3Source, createS3Client } from './s3';
import { DecodingSource, type DecodeHooks } from './decode';
import type { Source } from './types';

export * from './types';
export { LocalSource } from './local';
export { S3Source, createS3Client, parseS3Url, explainS3Error } from './s3';
export { DecodingSource, encodingOf } from './decode';

/** The source a URL names: s3://bucket/prefix or a local file or folder, its compressed objects read decoded. */
export function openSource(url: string | undefined, config: Config, opts: { log?: Logger; onRetry?: (attempt: number, e: unknown) => void } & DecodeHooks = {}): DecodingSource {
  if (!url) throw new UserError('no source given', 'pass --source s3://bucket/prefix (or a local path), or set PIPEWARDEN_SOURCE');
  if (/^s3a?:\/\//.test(url)) return new DecodingSource(new S3Source(url, createS3Client(config), opts), opts);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new UserError(`unsupported source "${url}": use s3://bucket/prefix or a local path`);
  return new DecodingSource(new LocalSource(url), opts);
}
