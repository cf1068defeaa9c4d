import { HttpError } from '@pipewarden/core';
import { isConnectionRefused } from '../src/loader-client';
import { RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS, retryDelaySeconds } from '../src/watchdog';

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
