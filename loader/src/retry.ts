import { isConnectionError } from '@pipewarden/core';

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Redis is away or stalled, as opposed to a bad command: retry. "Command timed out" is
 * core's command deadline (createRedis) on a Redis that stopped answering; the mirror write
 * it interrupted may have landed, which putMirrorEntry tolerates.
 */
export function isRedisConnectionError(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? '');
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) || /Connection is closed|Stream isn't writeable|enableOfflineQueue|max retries|ECONNREFUSED|LOADING|READONLY|MaxRetriesPerRequest|Command timed out/i.test(msg);
}

export interface RetryOptions {
  operation: string;
  signal: AbortSignal;
  /** Which errors mean "try again later" (a service down) rather than a bug. */
  retryable: (e: unknown) => boolean;
  onRetry?: (attempt: number, e: unknown) => void;
  onRecovered?: () => void;
  maxDelayMs?: number;
}

/**
 * Retry while the error says the service is away; no attempt limit, because the loader's
 * promise is to wait for MySQL/Redis to come back, never to drop a batch. Aborting stops it.
 */
export async function retryWhileDown<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let attempt = 0;
  for (;;) {
    if (opts.signal.aborted) throw new AbortedError();
    try {
      const v = await fn();
      if (attempt > 0) opts.onRecovered?.();
      return v;
    } catch (e) {
      if (opts.signal.aborted) throw new AbortedError();
      if (!opts.retryable(e)) throw e;
      attempt++;
      opts.onRetry?.(attempt, e);
      await sleep(Math.min(opts.maxDelayMs ?? 2000, 50 * 2 ** Math.min(attempt, 10)), opts.signal);
    }
  }
}

export const mysqlRetryable = isConnectionError;

/** `fn` retried while MySQL is away (the run's plain reads and bookkeeping; a batch's writes have their own events). */
export function whileMysqlDown<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  return retryWhileDown(fn, { operation: 'mysql', signal, retryable: mysqlRetryable });
}
