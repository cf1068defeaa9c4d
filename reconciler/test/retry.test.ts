import { HttpError } from '@pipewarden/core';
import { isConnectionRefused } from '../src/loader-client';
import { RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS, retryDecision, retryDelaySeconds, writtenBeforeMysqlStarted } from '../src/watchdog';

describe('the watchdog retry pause', () => {
  test('doubles from the first pause up to the cap, and stays there', () => {
    expect([0, 1, 2, 3].map(retryDelaySeconds)).toEqual([RETRY_FIRST_SECONDS, 2 * RETRY_FIRST_SECONDS, 4 * RETRY_FIRST_SECONDS, 8 * RETRY_FIRST_SECONDS]);
    expect(retryDelaySeconds(50)).toBe(RETRY_MAX_SECONDS);
    expect(retryDelaySeconds(5000)).toBe(RETRY_MAX_SECONDS);
  });
});

describe('"no loader service" is only a refused connection', () => {
  test('fetch failing with ECONNREFUSED means nothing listens', () => {
    expect(isConnectionRefused(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9842'), { code: 'ECONNREFUSED' }) }))).toBe(true);
  });

  test('a 401, a timeout or a reset connection is a loader that may still write', () => {
    expect(isConnectionRefused(new HttpError(401, 'POST /pause: 401 invalid bearer token'))).toBe(false);
    expect(isConnectionRefused(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(false);
    expect(isConnectionRefused(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }))).toBe(false);
  });
});

describe('when the watchdog reconciles again', () => {
  const calm = { attempts: 0, nextRetryAt: 0 };
  test('nothing failed and nothing stuck: never, and the pause starts over', () => {
    expect(retryDecision({ attempts: 3, nextRetryAt: 99_000, failed: false, stuck: 0, now: 100_000 })).toEqual({ ...calm, reconcile: false });
  });

  test('a failed run: first a pause, then a retry, then a doubled pause', () => {
    const seen = retryDecision({ ...calm, failed: true, stuck: 0, now: 0 });
    expect(seen).toEqual({ attempts: 0, nextRetryAt: retryDelaySeconds(0) * 1000, reconcile: false });
    expect(retryDecision({ ...seen, failed: true, stuck: 0, now: seen.nextRetryAt - 1 }).reconcile).toBe(false);
    const first = retryDecision({ ...seen, failed: true, stuck: 0, now: seen.nextRetryAt });
    expect(first).toEqual({ attempts: 1, nextRetryAt: seen.nextRetryAt + retryDelaySeconds(1) * 1000, reconcile: true });
    const second = retryDecision({ ...first, failed: true, stuck: 0, now: first.nextRetryAt });
    expect(second).toEqual({ attempts: 2, nextRetryAt: first.nextRetryAt + retryDelaySeconds(2) * 1000, reconcile: true });
  });

  test('batches stuck in doubt (no failed run, e.g. a loader killed mid-batch while MySQL stayed up): retried the same way', () => {
    const seen = retryDecision({ ...calm, failed: false, stuck: 2, now: 5_000 });
    expect(retryDecision({ ...seen, failed: false, stuck: 2, now: seen.nextRetryAt }).reconcile).toBe(true);
  });
});

describe('batches written before MySQL started (the start-up check after a host crash)', () => {
  test('a batch written in the same second MySQL started counts: Uptime is whole seconds and may overstate', () => {
    // The server started at 100.9 s; at 101.1 s it reports Uptime 1 (101 - 100), implying 100.1 s.
    // A batch written at 100.5 s, before the start, must count (CI lost this once: no reconcile).
    expect(writtenBeforeMysqlStarted([100_500], 1, 101_100)).toBe(1);
  });

  test('batches long before count, batches clearly after the start do not', () => {
    expect(writtenBeforeMysqlStarted([10_000, 50_000, 190_000], 100, 200_000)).toBe(2);
    expect(writtenBeforeMysqlStarted([], 100, 200_000)).toBe(0);
  });
});
