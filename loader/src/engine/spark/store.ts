// Where a Spark job's output lives, for the loader that follows it: a local folder (the job
// runs on this machine, or on a cluster sharing its disk), or a prefix on S3 that the job
// writes through s3a (a cluster on other hosts: no shared file system needed). The output
// reader (./output.ts) sees only this interface.
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { explainS3Error, parseS3Url } from '../../source/s3';

export interface SparkOutputStore {
  /** What the job's --output gets: a local path, or s3a://bucket/prefix. */
  readonly jobUri: string;
  /** Where, for messages: the folder or the s3:// URL. */
  readonly where: string;
  /** How often a follower looks for new parts, in ms (listing S3 costs more than reading a folder). */
  readonly pollMs: number;
  /** File names directly in the output (not the committer's _temporary tree); [] before the job made it. */
  names(): Promise<string[]>;
  /** The first `bytes` bytes of a file (fewer when it is shorter). */
  head(name: string, bytes: number): Promise<Buffer>;
  read(name: string): AsyncIterable<Buffer>;
  exists(name: string): Promise<boolean>;
  text(name: string): Promise<string>;
  /** Remove the output and everything under it. */
  remove(): Promise<void>;
}

export class LocalOutput implements SparkOutputStore {
  readonly pollMs = 100;
  constructor(readonly dir: string) {}
  get jobUri(): string {
    return this.dir;
  }
  get where(): string {
    return this.dir;
  }
  async names(): Promise<string[]> {
    try {
      return readdirSync(this.dir);
    } catch {
      return []; // Spark has not created the folder yet
    }
  }
  async head(name: string, bytes: number): Promise<Buffer> {
    const fd = openSync(join(this.dir, name), 'r');
    try {
      const buf = Buffer.alloc(bytes);
      return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
    } finally {
      closeSync(fd);
    }
  }
  read(name: string): AsyncIterable<Buffer> {
    return createReadStream(join(this.dir, name), { highWaterMark: 4 << 20 });
  }
  async exists(name: string): Promise<boolean> {
    return existsSync(join(this.dir, name));
  }
  async text(name: string): Promise<string> {
    return readFileSync(join(this.dir, name), 'utf8');
  }
  async remove(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const isNotFound = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
};

/** The output under s3://bucket/prefix/ (the job writes s3a://bucket/prefix). */
export class S3Output implements SparkOutputStore {
  readonly pollMs = 500;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly s3: S3Client,
    url: string,
  ) {
    const { bucket, prefix } = parseS3Url(url);
    this.bucket = bucket;
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`;
  }
  get jobUri(): string {
    return `s3a://${this.bucket}/${this.prefix.slice(0, -1)}`;
  }
  get where(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }
  private key(name: string): string {
    return `${this.prefix}${name}`;
  }
  private async *keys(delimiter: boolean): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await this.s3
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token, ...(delimiter ? { Delimiter: '/' } : {}) }))
        .catch((e: unknown) => {
          throw explainS3Error(e, `listing the Spark output ${this.where}`);
        });
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  async names(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.keys(true)) out.push(k.slice(this.prefix.length));
    return out;
  }
  private async body(name: string, range?: string): Promise<Readable> {
    const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(name), ...(range ? { Range: range } : {}) })).catch((e: unknown) => {
      throw explainS3Error(e, `reading the Spark output ${this.where}${name}`);
    });
    return r.Body as Readable;
  }
  async head(name: string, bytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.body(name, `bytes=0-${bytes - 1}`)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).subarray(0, bytes);
  }
  async *read(name: string): AsyncIterable<Buffer> {
    yield* (await this.body(name)) as AsyncIterable<Buffer>;
  }
  async exists(name: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw explainS3Error(e, `looking for ${this.where}${name}`);
    }
  }
  async text(name: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of this.read(name)) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
  }
  async remove(): Promise<void> {
    // Listed in full first: deleting while paging through a listing may skip keys.
    const all: string[] = [];
    for await (const k of this.keys(false)) all.push(k);
    for (let i = 0; i < all.length; i += 1000) {
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } })).catch((e: unknown) => {
        throw explainS3Error(e, `removing the Spark output ${this.where}`);
      });
    }
  }
}
