// Redis clients from configuration: the one factory every service uses, so each connection
// has the same password source, deadlines, name (CLIENT LIST shows who is connected) and
// error reporting. Callers choose only how they behave while Redis is away.
import Redis, { type RedisOptions } from 'ioredis';
import type { Config } from './config';
import { errorMessage } from './errors';
import { createLogger, type Logger } from './log';

export interface RedisClientOptions {
  /** Who connects: the connection is named pipewarden-<role>. */
  role: string;
  log?: Logger;
  /** Connect deadline (default 5 s). */
  connectTimeoutMs?: number;
  /** Per-command deadline (default PIPEWARDEN_REDIS_COMMAND_TIMEOUT_SECONDS). */
  commandTimeoutMs?: number;
  /**
   * Behaviour while Redis is away (offline queue, retries, reconnects, lazy connect); the
   * identity, password and deadlines above are not the caller's to change.
   */
  behaviour?: Pick<RedisOptions, 'lazyConnect' | 'enableOfflineQueue' | 'maxRetriesPerRequest' | 'retryStrategy' | 'enableReadyCheck'>;
}

export function createRedis(config: Config, opts: RedisClientOptions): Redis {
  const log = opts.log ?? createLogger(`redis.${opts.role}`);
  const redis = new Redis(config.redis.url, {
    ...opts.behaviour,
    connectionName: `pipewarden-${opts.role}`,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    commandTimeout: opts.commandTimeoutMs ?? config.redis.commandTimeoutSeconds * 1000,
    // Only when configured: an undefined password would hide the URL's.
    ...(config.redis.password !== undefined ? { password: config.redis.password } : {}),
  });
  // Failed commands reach their callers; the 'error' event is the connection's own story.
  // Log it once per outage (ioredis repeats it on every reconnect attempt), never drop it.
  let reported = false;
  redis.on('error', (e: unknown) => {
    if (reported) return;
    reported = true;
    log.warn('Redis connection error', { role: opts.role, error: errorMessage(e), code: (e as NodeJS.ErrnoException)?.code });
  });
  redis.on('ready', () => {
    if (reported) log.info('Redis connection is back', { role: opts.role });
    reported = false;
  });
  return redis;
}
