// Load control for a shared production MySQL: rate caps per pipeline and in total, shared by
// every loader on every host, and a back-off while MySQL is busy or a replica of it lags
// (./replica-lag.ts). Called before each batch is written.
//
// The caps are token buckets in Redis (the mirror's Redis, which every loader of a
// deployment already shares), one Lua script per take so concurrent loaders never race, and
// Redis's own clock so the hosts' clocks do not matter. A take may run into debt: the
// batch's tokens are taken at once and the loader waits until the debt is repaid, so the
// long-run rate is the cap whatever the batch size, and several loaders queue fairly.
import type Redis from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { deploymentKeyPrefix, type Config, type Logger } from '@pipewarden/core';
import type { LoaderMetrics } from './metrics';
import { ReplicaLag } from './replica-lag';
import { sleep } from './retry';

/**
 * KEYS[1]: the bucket; ARGV: rate (tokens per second), want (tokens). A full bucket holds
 * one second of tokens (at least one take). Returns the milliseconds to wait.
 */
const TAKE = `
local rate = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local burst = math.max(rate, want)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000) - want
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 3600000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens * 1000 / rate)
`;

export type ThrottleReason = 'rows' | 'bytes' | 'total_rows' | 'total_bytes' | 'mysql_busy' | 'replica_lag';

interface Bucket {
  reason: Exclude<ThrottleReason, 'mysql_busy' | 'replica_lag'>;
  key: string;
  rate: number;
  of: (rows: number, bytes: number) => number;
}

/** How often MySQL's Threads_running, or the replica's lag, is looked at while it is above the limit. */
const BUSY_POLL_MS = 1000;

/** Take `want` tokens from a bucket filling at `rate` per second; the milliseconds to wait before using them. */
export async function takeTokens(redis: Redis, key: string, rate: number, want: number): Promise<number> {
  return Number(await redis.eval(TAKE, 1, key, String(rate), String(want)));
}

export class Throttle {
  private readonly buckets: Bucket[];
  private readonly replica: ReplicaLag | undefined;

  constructor(
    private readonly config: Config,
    private readonly redis: Redis,
    private readonly pool: Pool,
    private readonly metrics: LoaderMetrics,
    private readonly log: Logger,
  ) {
    const { rate } = config;
    const own = `${config.redis.keyPrefix}rate:`;
    const all = `${deploymentKeyPrefix(config)}rate:total:`;
    const buckets: Bucket[] = [
      { reason: 'rows', key: `${own}rows`, rate: rate.rowsPerSecond, of: (rows) => rows },
      { reason: 'bytes', key: `${own}bytes`, rate: rate.bytesPerSecond, of: (_, bytes) => bytes },
      { reason: 'total_rows', key: `${all}rows`, rate: rate.totalRowsPerSecond, of: (rows) => rows },
      { reason: 'total_bytes', key: `${all}bytes`, rate: rate.totalBytesPerSecond, of: (_, bytes) => bytes },
    ];
    this.buckets = buckets.filter((b) => b.rate > 0);
    metrics.setRateLimits({
      rows_per_second: rate.rowsPerSecond,
      bytes_per_second: rate.bytesPerSecond,
      total_rows_per_second: rate.totalRowsPerSecond,
      total_bytes_per_second: rate.totalBytesPerSecond,
      busy_threads_running: rate.busyThreadsRunning,
      max_replica_lag_seconds: rate.replicaUrl ? rate.maxReplicaLagSeconds : 0,
    });
    this.replica = rate.replicaUrl ? new ReplicaLag(config, log) : undefined;
  }

  async close(): Promise<void> {
    await this.replica?.close();
  }

  /** Before a batch of `rows` rows in `bytes` bytes goes to MySQL: wait as long as the caps and MySQL's load say. */
  async beforeBatch(rows: number, bytes: number, signal: AbortSignal): Promise<void> {
    await this.whileBusy(signal);
    await this.whileReplicaLags(signal);
    if (this.buckets.length === 0 || rows + bytes === 0) return;
    let wait = 0;
    let reason: ThrottleReason | undefined;
    for (const b of this.buckets) {
      const want = b.of(rows, bytes);
      if (want === 0) continue;
      let ms: number;
      try {
        ms = await takeTokens(this.redis, b.key, b.rate, want);
      } catch (e) {
        // Redis away: the mirror write waits for it anyway; the cap is not worth a stop.
        this.log.debug('rate bucket unavailable; not throttling this batch', { bucket: b.key, error: (e as Error).message });
        continue;
      }
      if (ms > wait) [wait, reason] = [ms, b.reason];
    }
    if (wait > 0 && reason) await this.wait(reason, wait, signal);
  }

  /** While MySQL runs more threads than the limit: wait, looking again every second. */
  private async whileBusy(signal: AbortSignal): Promise<void> {
    const limit = this.config.rate.busyThreadsRunning;
    if (limit <= 0) return;
    let said = false;
    for (;;) {
      const running = await this.threadsRunning();
      if (running === undefined || running <= limit) return;
      if (!said) this.log.info('MySQL is busy; waiting before the next batch', { threads_running: running, limit });
      said = true;
      await this.wait('mysql_busy', BUSY_POLL_MS, signal);
    }
  }

  /** While the watched replica is further behind than allowed: wait, looking again every second. */
  private async whileReplicaLags(signal: AbortSignal): Promise<void> {
    if (!this.replica) return;
    const limit = this.config.rate.maxReplicaLagSeconds;
    let said = false;
    for (;;) {
      const lag = await this.replica.seconds();
      this.metrics.setReplicaLag(lag);
      if (lag === undefined || lag <= limit) {
        if (said) this.log.info('the replica has caught up; loading goes on', { lag_seconds: lag });
        return;
      }
      if (!said) this.log.info('the replica lags; waiting before the next batch', { lag_seconds: lag, limit });
      said = true;
      await this.wait('replica_lag', BUSY_POLL_MS, signal);
    }
  }

  private async threadsRunning(): Promise<number | undefined> {
    try {
      const [rows] = await this.pool.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Threads_running'");
      return rows[0] ? Number(rows[0].Value) : undefined;
    } catch {
      return undefined; // MySQL away: the batch's own write waits for it
    }
  }

  private async wait(reason: ThrottleReason, ms: number, signal: AbortSignal): Promise<void> {
    const t0 = Date.now();
    try {
      await sleep(ms, signal);
    } finally {
      this.metrics.throttled.inc({ reason }, (Date.now() - t0) / 1000);
    }
  }
}
