// The reconciler's view of the loader service: pause before repairing, restart after.
// Exactly one failure means "no loader service": nothing listens at its address
// (ECONNREFUSED) — a one-shot `pipewarden load` or no loader at all. Anything else (a wrong
// token, a timeout, a 5xx) is a loader that may still be writing, and is an error.
import { HttpError, fetchJson, type Config, type LoaderPauseRequest, type LoaderStatus } from '@pipewarden/core';

/** Deadlines: a status is a quick read; a pause waits for the batches in flight to stop. */
const STATUS_TIMEOUT_MS = 1500;
const CONTROL_TIMEOUT_MS = 30000;

class LoaderCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoaderCallError';
  }
}

/** True when nothing listens at the address: the only failure that means "no loader service". */
export function isConnectionRefused(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } })?.cause;
  return cause?.code === 'ECONNREFUSED' || (e as { code?: string })?.code === 'ECONNREFUSED';
}

function describe(e: unknown, what: string, url: string): LoaderCallError {
  if (e instanceof HttpError) {
    const hint = e.status === 401 || e.status === 403 ? ' (is PIPEWARDEN_TOKEN the same for the loader and the reconciler?)' : '';
    return new LoaderCallError(`${what} the loader service at ${url} failed: ${e.message}${hint}`);
  }
  if ((e as Error)?.name === 'TimeoutError') return new LoaderCallError(`${what} the loader service at ${url} got no answer in time`);
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  return new LoaderCallError(`${what} the loader service at ${url} failed: ${cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e)}`);
}

export type ControlResult = 'done' | 'absent';

export class LoaderClient {
  constructor(private readonly config: Config) {}

  /** The loader's status, or null when no loader service listens; throws LoaderCallError otherwise. */
  async status(): Promise<LoaderStatus | null> {
    const url = this.config.loader.url;
    try {
      return await fetchJson<LoaderStatus>(`${url}/status`, { token: this.config.token, timeoutMs: STATUS_TIMEOUT_MS });
    } catch (e) {
      if (isConnectionRefused(e)) return null;
      throw describe(e, 'asking the status of', url);
    }
  }

  private async post(path: string, what: string, body?: unknown): Promise<ControlResult> {
    const url = this.config.loader.url;
    try {
      await fetchJson(`${url}${path}`, { method: 'POST', token: this.config.token, timeoutMs: CONTROL_TIMEOUT_MS, body });
      return 'done';
    } catch (e) {
      if (isConnectionRefused(e)) return 'absent';
      throw describe(e, what, url);
    }
  }

  /** Pause the loader (req.pipeline: that pipeline only) for a reconcile run (the loader's /status names the run, and its error if it failed). */
  pause(req: LoaderPauseRequest): Promise<ControlResult> {
    return this.post('/pause', 'pausing', req);
  }

  /** Restart one pipeline (its name as `?pipeline=`; a loader without pipelines runs one, `default`), or every one. */
  restart(pipeline?: string): Promise<ControlResult> {
    return this.post(pipeline === undefined ? '/restart' : `/restart?pipeline=${encodeURIComponent(pipeline)}`, pipeline === undefined ? 'restarting' : `restarting pipeline ${pipeline} of`);
  }
}
