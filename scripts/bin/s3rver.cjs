#!/usr/bin/env node
// The local stack's S3 server: s3rver, plus one thing S3 and MinIO do that s3rver does not:
// decoding SigV4 streaming uploads ("aws-chunked": each chunk framed as
// "<hex size>;chunk-signature=<sig>\r\n<bytes>\r\n", ending with a zero-size chunk). The AWS
// SDK v1 that Hadoop's S3A connector uses sends every PUT that way, and s3rver stored the
// framing with the bytes (a Spark job writing its output through s3a got corrupt parts, and
// its empty directory markers ETags that were not their MD5). Chunk signatures are not
// checked (s3rver checks the request's signature; this server is for tests and local use).
//
//   s3rver.cjs --directory DIR --address HOST --port PORT [--silent]
'use strict';
const { Transform } = require('node:stream');
const S3rver = require('s3rver');

class AwsChunkedDecoder extends Transform {
  constructor() {
    super();
    this.buf = Buffer.alloc(0);
    this.left = -1; // bytes of the current chunk still to pass on; -1: expecting a chunk header
    this.done = false;
  }
  _transform(chunk, _enc, cb) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      this.drain();
      cb();
    } catch (e) {
      cb(e);
    }
  }
  drain() {
    for (;;) {
      if (this.done) return void (this.buf = Buffer.alloc(0));
      if (this.left < 0) {
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return;
        const size = parseInt(this.buf.toString('latin1', 0, eol).split(';')[0], 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('malformed aws-chunked body');
        this.buf = this.buf.subarray(eol + 2);
        if (size === 0) this.done = true;
        this.left = size;
        continue;
      }
      if (this.left > 0) {
        const n = Math.min(this.left, this.buf.length);
        if (n === 0) return;
        this.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.left -= n;
        continue;
      }
      // the CRLF after a chunk's bytes
      if (this.buf.length < 2) return;
      this.buf = this.buf.subarray(2);
      this.left = -1;
    }
  }
  _flush(cb) {
    cb(this.done || this.left === -1 ? null : new Error('aws-chunked body ended inside a chunk'));
  }
}

function isAwsChunked(headers) {
  return String(headers['x-amz-content-sha256'] || '').startsWith('STREAMING-') || /\baws-chunked\b/.test(String(headers['content-encoding'] || ''));
}

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const server = new S3rver({ directory: arg('directory'), address: arg('address', '127.0.0.1'), port: Number(arg('port', '4568')), silent: process.argv.includes('--silent') });
// First of all middleware: the controllers read the decoded bytes from ctx.req; the headers
// (which the request's signature covers) stay as they came.
server.middleware.unshift(async (ctx, next) => {
  if (ctx.method === 'PUT' && isAwsChunked(ctx.headers)) {
    const decoded = ctx.req.pipe(new AwsChunkedDecoder());
    decoded.headers = ctx.req.headers;
    ctx.req = decoded;
  }
  return next();
});
server.run().then(
  () => process.stdout.write(`S3 server listening on ${arg('address', '127.0.0.1')}:${arg('port', '4568')}\n`),
  (e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close().then(() => process.exit(0)));
