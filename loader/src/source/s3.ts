// S3 through @aws-sdk/client-s3 (AWS, MinIO, s3rver). Objects are read with ranged
// GetObject; when a stream breaks (throttling, 5xx, a restarted endpoint, a socket silent
// past PIPEWARDEN_S3_REQUEST_TIMEOUT_SECONDS) the reader resumes from the last byte it
// delivered, with backoff, and insists on the same ETag.
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { UserError, compareKeys, s3Endpoint, type Config, type Logger } from '@pipewarden/core';
import { ObjectChangedError, type ListWindow, type Source, type SourceObject } from './types';

const S3_URL = /^s3a?:\/\/([^/]+)\/?(.*)$/;

/** Whether a source names S3 (s3://bucket/prefix, or s3a:// as Spark spells it). */
export function isS3Url(url: string): boolean {
  return S3_URL.test(url);
}

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = S3_URL.exec(url);
  if (!m) throw new UserError(`"${url}" is not an S3 URL (expected s3://bucket/prefix)`);
  return { bucket: m[1], prefix: m[2] };
}

/** A client with core's endpoint, credentials and deadlines (connect, answer, silent socket). */
export function createS3Client(config: Config): S3Client {
  return new S3Client({ ...s3Endpoint(config), maxAttempts: 3 });
}

/** Turn SDK errors users cause into messages that name the problem. */
export function explainS3Error(e: unknown, what: string): Error {
  const name = (e as { name?: string })?.name ?? '';
  const status = (e as S3ServiceException)?.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket' || (name === 'NotFound' && what.startsWith('bucket'))) return new UserError(`${what}: the bucket does not exist`);
  if (name === 'NoSuchKey') return new UserError(`${what}: the object does not exist`);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) || status === 403) {
    return new UserError(`${what}: access denied (${name || status}); check PIPEWARDEN_S3_ACCESS_KEY_ID / PIPEWARDEN_S3_SECRET_ACCESS_KEY`);
  }
  const code = (e as NodeJS.ErrnoException)?.code ?? /ECONNREFUSED|ENOTFOUND/.exec(String((e as Error)?.message))?.[0];
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') return new UserError(`${what}: cannot reach the S3 endpoint (${code}); check PIPEWARDEN_S3_ENDPOINT`);
  return e instanceof Error ? e : new Error(String(e));
}

export function isRetryableS3Error(e: unknown): boolean {
  const status = (e as S3ServiceException)?.$metadata?.httpStatusCode ?? 0;
  const name = (e as { name?: string })?.name ?? '';
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return (
    status >= 500 ||
    status === 429 ||
    ['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'InternalError', 'ServiceUnavailable', 'TimeoutError'].includes(name) ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'].includes(code) ||
    /socket hang up|aborted|premature|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/i.test(String((e as Error)?.message))
  );
}

export interface S3SourceOptions {
  /** Attempts per read position before giving up (backoff doubles up to 10 s). */
  maxRetries?: number;
  onRetry?: (attempt: number, error: unknown) => void;
  log?: Logger;
}

export class S3Source implements Source {
  readonly bucket: string;
  readonly prefix: string;
  constructor(readonly url: string, readonly client: S3Client, private readonly opts: S3SourceOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
  }

  async list(window: ListWindow = {}): Promise<SourceObject[]> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      throw explainS3Error(e, `bucket s3://${this.bucket}`);
    }
    const out: SourceObject[] = [];
    const limit = window.limit ?? Infinity;
    const startAfter = window.after?.slice(`s3://${this.bucket}/`.length);
    let token: string | undefined;
    do {
      const res = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix,
            ContinuationToken: token,
            ...(token ? {} : { StartAfter: startAfter }),
            ...(limit < 1000 ? { MaxKeys: limit - out.length } : {}),
          }),
        )
        .catch((e) => {
          throw explainS3Error(e, `listing ${this.url}`);
        });
      for (const o of res.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        out.push({ key: `s3://${this.bucket}/${o.Key}`, etag: (o.ETag ?? '').replace(/"/g, ''), size: o.Size ?? 0 });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token && out.length < limit);
    return out.sort((a, b) => compareKeys(a.key, b.key)).slice(0, limit);
  }

  async stat(key: string): Promise<SourceObject | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key.slice(`s3://${this.bucket}/`.length) }));
      return { key, etag: (res.ETag ?? '').replace(/"/g, ''), size: res.ContentLength ?? 0 };
    } catch (e) {
      const status = (e as S3ServiceException)?.$metadata?.httpStatusCode;
      if (status === 404 || (e as { name?: string }).name === 'NotFound') return undefined;
      throw explainS3Error(e, `reading ${key}`);
    }
  }

  open(object: SourceObject, startByte: number, signal?: AbortSignal, endByte?: number): Readable {
    const key = object.key.slice(`s3://${this.bucket}/`.length);
    const maxRetries = this.opts.maxRetries ?? 8;
    const client = this.client;
    const bucket = this.bucket;
    const opts = this.opts;
    async function* chunks(): AsyncGenerator<Buffer> {
      let pos = startByte;
      let attempt = 0;
      // True while a chunk is handed over: an error raised there comes from the reader's close.
      let consumerLeft = false;
      const limit = Math.min(endByte ?? object.size, object.size);
      while (pos < limit) {
        try {
          const res = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${pos}-${limit < object.size ? limit - 1 : ''}`, IfMatch: object.etag ? `"${object.etag}"` : undefined }),
            { abortSignal: signal },
          );
          const etag = (res.ETag ?? '').replace(/"/g, '');
          if (object.etag && etag && etag !== object.etag) {
            throw new ObjectChangedError(object.key, object.etag, etag);
          }
          for await (const chunk of res.Body as Readable) {
            pos += (chunk as Buffer).length;
            attempt = 0;
            consumerLeft = true;
            yield chunk as Buffer;
            consumerLeft = false;
          }
        } catch (e) {
          if (signal?.aborted) throw e;
          // The reader stopped early (a header read, a range that ended): closing the body
          // aborts its request, which is no failure to resume from.
          if (consumerLeft) return;
          const status = (e as S3ServiceException)?.$metadata?.httpStatusCode;
          // 416: a range past the object's end — it is shorter than listed, so it was replaced
          // (S3-compatible servers may check the range before If-Match).
          if (status === 412 || status === 416 || ['PreconditionFailed', 'InvalidRange'].includes((e as { name?: string }).name ?? '')) {
            throw new ObjectChangedError(object.key, object.etag);
          }
          if (e instanceof UserError || !isRetryableS3Error(e) || attempt >= maxRetries) throw explainS3Error(e, `reading ${object.key}`);
          attempt++;
          opts.onRetry?.(attempt, e);
          opts.log?.warn('S3 read failed, resuming', { object: object.key, byte: pos, attempt, error: (e as Error).message });
          await new Promise((r) => setTimeout(r, Math.min(10000, 200 * 2 ** attempt)));
        }
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  close(): void {
    this.client.destroy();
  }
}
