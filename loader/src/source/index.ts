import type { Config, Logger } from '@pipewarden/core';
import { UserError } from '@pipewarden/core';
import { LocalSource } from './local';
import { S3Source, createS3Client, isS3Url } from './s3';
import { DecodingSource, type DecodeHooks } from './decode';
import { SelectingSource, selectionOf } from './select';

export * from './types';
export { LocalSource } from './local';
export { S3Source, createS3Client, isS3Url, parseS3Url, isRetryableS3Error } from './s3';
/** @public `pipewarden s3 ls` uses it through the CLI's lazy require (cli/src/lazy.ts), which knip does not follow. */
export { explainS3Error } from './s3';
export { DecodingSource } from './decode';
export { NoObjectMatchesError } from './select';

/** The source a URL names: s3://bucket/prefix or a local file or folder (a glob in it, and PIPEWARDEN_SOURCE_MATCH, select objects), its compressed objects read decoded. */
export function openSource(url: string | undefined, config: Config, opts: { log?: Logger; onRetry?: (attempt: number, e: unknown) => void } & DecodeHooks = {}): DecodingSource {
  if (!url) throw new UserError('no source given', 'pass --source s3://bucket/prefix (or a local path), or set PIPEWARDEN_SOURCE');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !isS3Url(url)) throw new UserError(`unsupported source "${url}": use s3://bucket/prefix or a local path`);
  const selection = selectionOf(url, config.sourceMatch);
  const raw = isS3Url(url) ? new S3Source(selection.base, createS3Client(config), opts) : new LocalSource(selection.base, { anyName: selection.narrowed });
  return new DecodingSource(selection.narrowed ? new SelectingSource(url, raw, selection) : raw, opts);
}
