// HTTP plumbing shared by the loader and reconciler services and their clients: bearer
// auth with a constant-time compare, JSON errors, listening on host:port, and a small
// client with timeouts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { NextFunction, Request, Response, Express } from 'express';
import type { ApiError } from './api';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison (hashing first equalizes lengths). */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function requireBearer(token: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m || !tokenMatches(m[1].trim(), token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="pipewarden"').json({ error: 'missing or wrong bearer token', hint: 'send Authorization: Bearer <PIPEWARDEN_TOKEN>' } satisfies ApiError);
      return;
    }
    next();
  };
}

export function sendError(res: Response, status: number, error: string, hint?: string): void {
  res.status(status).json({ error, hint } satisfies ApiError);
}

export function parseHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
}

export function listen(app: Express, hostPort: string): Promise<{ server: Server; url: string }> {
  const { host, port } = parseHostPort(hostPort);
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) return reject(err);
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${p}` });
    });
    server.on('error', reject);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** JSON request with a timeout and bearer token; throws HttpError on non-2xx. */
export async function fetchJson<T>(url: string, opts: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<T> {
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
  });
  const text = await res.text();
  if (!res.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as ApiError).error ?? text;
    } catch {
      /* not JSON */
    }
    throw new HttpError(res.status, `${opts.method ?? 'GET'} ${url}: ${res.status} ${msg}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}
