// The exporter's connections to MySQL, Redis, S3 and the pipewarden services. All of them
// fail fast: a scrape must answer within Prometheus's timeout whether or not the services
// behind it are alive, and nothing may stay broken after a service restarts.
import { S3Client } from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type mysql from 'mysql2/promise';
import { createPool, createRedis, isConnectionError, s3Deadlines, s3Endpoint, type Config, type Logger } from '@pipewarden/core';

export interface ClientTimeouts {
  /** Connect and per-query/command budget, in ms. */
  timeoutMs: number;
}

/**
 * A small MySQL pool from core's factory (UTC sessions: the last reconcile time is read with
 * UNIX_TIMESTAMP). Idle connections are dropped after a few seconds, and a statement
 * that fails because its pooled connection died (MySQL restarted since the last scrape)
 * is retried once on a fresh connection, so a restart costs no scrape.
 */
export class MysqlClient {
  readonly pool: mysql.Pool;
  constructor(config: Config, private readonly t: ClientTimeouts) {
    this.pool = createPool(config, {
      connectionLimit: 6,
      maxIdle: 6,
      idleTimeout: 10_000,
      connectTimeout: t.timeoutMs,
      queueLimit: 16,
    });
  }

  async query<T extends mysql.RowDataPacket[]>(sql: string): Promise<T> {
    try {
      return (await this.pool.query<T>({ sql, timeout: this.t.timeoutMs }))[0];
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      return (await this.pool.query<T>({ sql, timeout: this.t.timeoutMs }))[0];
    }
  }

  async close(): Promise<void> {
    try {
      await this.pool.end();
    } catch (e) {
      // A connection that died with its server has nothing left to close.
      if (!isConnectionError(e)) throw e;
    }
  }
}

/**
 * ioredis with no offline queue, no per-request retries and no background reconnect loop:
 * while Redis is down a command fails at once instead of waiting, and the next scrape (not
 * a timer) tries to connect again.
 */
export class RedisClient {
  readonly redis: Redis;
  private connecting?: Promise<void>;

  constructor(config: Config, t: ClientTimeouts, log?: Logger) {
    this.redis = createRedis(config, {
      role: 'exporter',
      log,
      connectTimeoutMs: t.timeoutMs,
      commandTimeoutMs: t.timeoutMs,
      behaviour: { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: true },
    });
  }

  /** A connected client, connecting first when the last connection ended. */
  async ready(): Promise<Redis> {
    const s = this.redis.status;
    if (s === 'ready') return this.redis;
    if (s === 'wait' || s === 'end' || s === 'close') {
      this.connecting ??= this.redis.connect().finally(() => (this.connecting = undefined));
    }
    if (this.connecting) await this.connecting;
    if (this.redis.status !== 'ready') throw new Error(`Redis is ${this.redis.status}`);
    return this.redis;
  }

  async close(): Promise<void> {
    this.redis.disconnect(false);
  }
}

export function createS3Client(config: Config, t: ClientTimeouts): S3Client {
  return new S3Client({
    ...s3Endpoint(config),
    // One attempt: the next scrape is the retry. The probe's budget bounds a hanging endpoint.
    maxAttempts: 1,
    requestHandler: s3Deadlines(t.timeoutMs, t.timeoutMs),
  });
}

/** `signal` plus a deadline of its own. */
export function deadline(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(ms)]);
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * A GET with a deadline, for the services' /healthz and /status. node:http rather than
 * fetch: each scrape makes two or three of these, and undici's fetch costs several times
 * the CPU of a plain request (measured: ~0.8 ms against a refused port, the common case
 * when a service is down). Bodies are capped; these are small JSON answers.
 */
export function httpGet(url: string, opts: { headers?: Record<string, string>; signal: AbortSignal; maxBytes?: number }): Promise<HttpAnswer> {
  const max = opts.maxBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', headers: opts.headers, signal: opts.signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) req.destroy(new Error(`${url} answered more than ${max} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
