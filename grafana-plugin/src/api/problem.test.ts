import { describeProblem, toApiProblem } from './problem';

const fetchError = (status: number, data: unknown) => ({ status, data, statusText: `HTTP ${status}`, config: { url: 'x' } });

describe('toApiProblem', () => {
  it.each([
    [401, { error: 'bad token' }, 'unauthorized'],
    [401, { message: 'Unauthorized' }, 'session'],
    [403, { message: 'plugin proxy route access denied' }, 'forbidden'],
    [404, { error: 'no such job' }, 'not-found'],
    [400, { error: 'dryRun must be a boolean' }, 'bad-request'],
    [502, '', 'unreachable'],
    [504, '', 'unreachable'],
    [503, { error: 'MySQL is down', hint: 'the watchdog retries' }, 'unavailable'],
    [500, { error: 'boom', hint: 'see the log' }, 'server'],
  ])('HTTP %i %j is %s', (status, data, kind) => {
    expect(toApiProblem(fetchError(status, data)).kind).toBe(kind);
  });

  it('keeps the reconciler error and hint', () => {
    const p = toApiProblem(fetchError(500, { error: 'insert failed', hint: 'check disk space' }));
    expect(p.message).toBe('insert failed');
    expect(p.hint).toBe('check disk space');
    expect(describeProblem(p).advice).toContain('insert failed. check disk space');
  });

  it('treats a thrown non-HTTP error as unreachable', () => {
    expect(toApiProblem(new TypeError('Failed to fetch')).kind).toBe('unreachable');
  });
});

describe('describeProblem', () => {
  it('names the URL when the reconciler is unreachable', () => {
    const text = describeProblem(toApiProblem(fetchError(502, '')), 'http://10.0.0.5:9843');
    expect(text.advice).toContain('Is `pipewarden reconciler serve` running at http://10.0.0.5:9843?');
  });

  it('points at the configured token on 401', () => {
    expect(describeProblem(toApiProblem(fetchError(401, { error: 'invalid token' }))).advice).toMatch(/token in the app configuration is wrong/);
  });
});
