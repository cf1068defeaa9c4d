// HTTP plumbing shared by the loader, reconciler and exporter services and their clients:
// bearer auth with a constant-time compare, JSON errors for every failure, listening on
// host:port, and a small client with timeouts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { NextFunction, Request, Response, Express } from 'express';
import type { ApiError } from './api';
import { UserError, errorMessage } from './errors';
import type { Logger } from './log';

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

/** What an error thrown inside a route or a body parser says about the request. */
interface HttpErrorLike {
  status?: number;
  statusCode?: number;
  /** http-errors (body-parser) sets this when the message is meant for the client. */
  expose?: boolean;
  type?: string;
}

const CLIENT_HINTS: Record<string, string> = {
  'entity.parse.failed': 'the body must be valid JSON',
  'entity.too.large': 'send a smaller body',
  'encoding.unsupported': 'send the body uncompressed or gzip/deflate',
  'charset.unsupported': 'send the body as UTF-8',
};

/**
 * The last handlers of every service app: unknown routes get a JSON 404, and any error (a
 * malformed JSON body 400, a body over the limit 413, a bug 500) a JSON body without a
 * stack trace. Without them express answers with an HTML page that shows the stack
 * whenever NODE_ENV is unset. Install after every route.
 */
export function installErrorHandlers(app: Express, log: Logger): void {
  app.use((req: Request, res: Response) => {
    sendError(res, 404, `no such endpoint: ${req.method} ${req.path}`);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = (err ?? {}) as HttpErrorLike;
    const status = e.status ?? e.statusCode ?? 500;
    if (res.headersSent) {
      // Half an answer is out: cutting the connection is the only honest end.
      log.error('request failed after its answer began', { method: req.method, path: req.path, error: errorMessage(err) });
      req.socket.destroy();
      return;
    }
    if (status >= 400 && status < 500 && e.expose !== false) {
      sendError(res, status, errorMessage(err), e.type ? CLIENT_HINTS[e.type] : undefined);
      return;
    }
    log.error('request failed', { method: req.method, path: req.path, error: errorMessage(err), stack: (err as Error)?.stack });
    sendError(res, 500, 'internal error', 'the service log has the details');
  });
}

/**
 * A failure to reach a peer over the network (refused, reset, unresolvable, timed out or
 * aborted by a deadline), as opposed to a bug: callers may treat the peer as down.
 */
export function isNetworkError(e: unknown): boolean {
  const name = (e as Error)?.name;
  const code = (e as NodeJS.ErrnoException)?.code ?? (e as { cause?: NodeJS.ErrnoException })?.cause?.code;
  return name === 'AbortError' || name === 'TimeoutError' || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(code ?? '');
}

/** A listen address as the configuration spells it (host:port): the one rule, config's and the services'. */
export const HOST_PORT = /^([^\s:]+):(\d{1,5})$/;

/** host:port into its parts; a clear error for anything else (or a port past 65535). */
export function parseHostPort(hp: string): { host: string; port: number } {
  const m = HOST_PORT.exec(hp);
  if (!m || Number(m[2]) > 65535) throw new UserError(`invalid listen address "${hp}"`, 'expected host:port, for example 127.0.0.1:9841');
  return { host: m[1], port: Number(m[2]) };
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
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e; // not JSON: the text is the message
    }
    throw new HttpError(res.status, `${opts.method ?? 'GET'} ${url}: ${res.status} ${msg}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}
