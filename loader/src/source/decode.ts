// Compressed objects (issue 18): gzip (one member or several), zstd and bzip2, recognised by
// their first bytes whatever the key's extension, decoded as they stream. Everything above
// the source — engines, checkpoints, the ledger's byte offsets, the reconciler's re-reads,
// verify — sees the decoded bytes: a batch's byte range is a range of the decoded object.
// A compressed stream cannot be entered in the middle, so a read from decoded offset N
// decodes from the top and skips N bytes (a resume costs a decode of what came before; gzip
// members are not indexed). Decoders: Node's zlib for gzip (it goes on across members), the
// reference tools for zstd and bzip2 (Debian's zstd and bzip2 packages). Node 20 has no zstd;
// the pure-JavaScript decoders tried first were no match: fzstd does not check zstd's
// content checksum (a damaged file decoded silently to other bytes), and unbzip2-stream
// decoded about 6 MB/s; a native module would not go into the single-file CLI bundle.
import { spawn } from 'node:child_process';
import { Duplex, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UserError } from '@pipewarden/core';
import { ObjectChangedError, type Encoding, type ListWindow, type Source, type SourceObject } from './types';

/** What the first bytes of an object announce: a compression, Parquet, or nothing (plain text). */
export type Kind = Encoding | 'parquet';

/** The encoding (or Parquet) the first bytes of an object announce, if any. */
export function encodingOf(head: Buffer): Kind | undefined {
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'PAR1') return 'parquet';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  // zstd skippable frames (0x184D2A50–5F) lead some files (seekable zstd).
  if (head.length >= 4 && (head.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50) return 'zstd';
  if (head.length >= 4 && head.toString('latin1', 0, 3) === 'BZh' && head[3] >= 0x31 && head[3] <= 0x39) return 'bzip2';
  return undefined;
}

/**
 * zstd and bzip2 through the reference tools (`zstd -dc`, `bzip2 -dc`), as a Duplex. Their
 * output ends only once the tool exited 0: a damaged or cut-short stream (the tools check
 * zstd's content checksum and bzip2's block CRCs) is an error, never a short read.
 */
function toolDecoder(tool: 'zstd' | 'bzip2'): Duplex {
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  const out = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (child.stdin.writable) child.stdin.write(chunk, () => cb());
      else cb();
    },
    final(cb) {
      child.stdin.end();
      cb();
    },
    read() {
      child.stdout.resume();
    },
    destroy(e, cb) {
      child.kill();
      cb(e);
    },
  });
  child.stdin.on('error', () => undefined); // EPIPE when the tool stopped on bad input: its exit says why
  child.stdout.on('data', (c: Buffer) => {
    if (!out.push(c)) child.stdout.pause();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()).length > 4096 && (stderr = stderr.slice(-4096)));
  child.on('error', (e: NodeJS.ErrnoException) =>
    out.destroy(e.code === 'ENOENT' ? new UserError(`${tool} is not installed, and the object is ${tool}-compressed`, `install it (Debian and Ubuntu: apt-get install ${tool})`) : e),
  );
  child.on('close', (code, signal) => {
    if (code === 0) out.push(null);
    else if (!out.destroyed) out.destroy(new Error(stderr.trim().split('\n').pop() || `${tool} ended with ${signal ?? `exit code ${code}`}`));
  });
  return out;
}

function setKind(o: SourceObject, kind: Kind | null | undefined): void {
  if (kind === 'parquet') o.format = 'parquet';
  else if (kind) o.encoding = kind;
}

function decoder(encoding: Encoding): Duplex {
  // Node's zlib checks each member's CRC and length, and goes on across members.
  if (encoding === 'gzip') return createGunzip({ chunkSize: 1 << 20 });
  return toolDecoder(encoding);
}

/** Counts what passes: the compressed bytes read (for the metrics), or the decoded ones. */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

export interface DecodeHooks {
  /** Compressed bytes read from an encoded object (plain objects are counted by their offsets). */
  onEncodedBytes?: (object: SourceObject, bytes: number) => void;
}

/**
 * A source whose objects are read decoded. An object's encoding is found from its first
 * bytes once per version (key and ETag), when it is first opened or when `probe` asks for
 * it (the loader does before planning, since a compressed object is not cut into ranges);
 * a listing reads no object, so a reconcile listing a large bucket costs no more than before.
 */
export class DecodingSource implements Source {
  private readonly encodings = new Map<string, Kind | null>();

  constructor(
    private readonly raw: Source,
    private readonly hooks: DecodeHooks = {},
  ) {}

  get url(): string {
    return this.raw.url;
  }

  list(window?: ListWindow): Promise<SourceObject[]> {
    return this.raw.list(window);
  }

  stat(key: string): Promise<SourceObject | undefined> {
    return this.raw.stat(key);
  }

  /** Drop what was learnt of these objects' first bytes (a load's finished listing window). */
  forget(objects: readonly SourceObject[]): void {
    for (const o of objects) this.encodings.delete(`${o.key}\0${o.etag}`);
  }

  /** Find the encoding of these objects (a few at a time) and set it on each encoded one. */
  async probe(objects: readonly SourceObject[], signal?: AbortSignal): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < objects.length) await this.probeOne(objects[next++], signal);
    };
    await Promise.all(Array.from({ length: Math.min(8, objects.length) }, worker));
  }

  private async probeOne(o: SourceObject, signal?: AbortSignal): Promise<void> {
    const id = `${o.key}\0${o.etag}`;
    let encoding = this.encodings.get(id);
    if (encoding === undefined) {
      const chunks: Buffer[] = [];
      try {
        if (o.size > 0) for await (const c of this.raw.open(o, 0, signal, Math.min(o.size, 4))) chunks.push(c as Buffer);
      } catch (e) {
        // Changed since it was listed: the load's own read of it meets the change where
        // PIPEWARDEN_ON_CHANGE decides; nothing is known of this version.
        if (e instanceof ObjectChangedError) return;
        throw e;
      }
      encoding = encodingOf(Buffer.concat(chunks)) ?? null;
      this.encodings.set(id, encoding);
    }
    setKind(o, encoding);
  }

  open(object: SourceObject, startByte: number, signal?: AbortSignal, endByte?: number): Readable {
    if (object.encoding || this.encodings.has(`${object.key}\0${object.etag}`)) return this.openKnown(object, startByte, signal, endByte);
    const probed = (async function* (self: DecodingSource) {
      await self.probeOne(object, signal);
      yield* self.openKnown(object, startByte, signal, endByte);
    })(this);
    return Readable.from(probed, { objectMode: false });
  }

  private openKnown(object: SourceObject, startByte: number, signal?: AbortSignal, endByte?: number): Readable {
    setKind(object, this.encodings.get(`${object.key}\0${object.etag}`));
    // Parquet objects are read as they are stored (by ranged reads of their column chunks).
    if (!object.encoding) return this.raw.open(object, startByte, signal, endByte);
    const encoding = object.encoding;
    const raw = this.raw.open(object, 0, signal);
    let decoded = 0;
    let ended = false;
    const window = new Transform({
      // Decoded bytes before startByte are skipped; the stream ends at endByte.
      transform(chunk: Buffer, _enc, cb) {
        if (ended) return cb();
        const from = decoded;
        decoded += chunk.length;
        const a = Math.max(0, startByte - from);
        const b = endByte === undefined ? chunk.length : Math.min(chunk.length, endByte - from);
        if (b > a) this.push(a === 0 && b === chunk.length ? chunk : chunk.subarray(a, b));
        if (endByte !== undefined && decoded >= endByte) {
          ended = true;
          this.push(null);
          raw.destroy(); // the rest is not needed
        }
        cb();
      },
    });
    const decode = decoder(encoding);
    // Piped by hand, each error handled where it arises: stream.pipeline settles on the
    // decoder's writable side finishing, before a truncated stream's error comes out of it.
    const hooks = this.hooks;
    raw.pipe(counter((n) => hooks.onEncodedBytes?.(object, n))).pipe(decode).pipe(window);
    const fail = (e: Error) => {
      if (!ended && !window.destroyed) window.destroy(e);
    };
    raw.on('error', fail); // the source's own errors (S3, a changed object) say what they are
    decode.on('error', (e: Error) => fail(e instanceof UserError ? e : new UserError(`${object.key}: its ${encoding} stream is damaged or cut short after ${decoded} decoded bytes (${e.message})`, 'the batches before that point are loaded; replace the object with an intact copy and load again')));
    // The reader may stop early (a header read): the compressed read stops with it.
    window.on('close', () => {
      raw.destroy();
      decode.destroy();
    });
    return window;
  }

  close(): void {
    this.raw.close();
  }
}
