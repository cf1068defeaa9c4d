// A small structured logger: one line per event on stderr, `key=value` for humans,
// JSON with PIPEWARDEN_LOG_FORMAT=json. Values that look like secrets are never printed:
// fields named like secrets are masked, and URLs lose their passwords (redactUrl).
import { redactUrl } from './config';
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_KEYS = /token|password|secret|authorization/i;

function fmt(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v);
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export function createLogger(component: string, sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = ORDER[(process.env.PIPEWARDEN_LOG_LEVEL as Level) ?? 'info'] ?? ORDER.info;
  const json = process.env.PIPEWARDEN_LOG_FORMAT === 'json';
  const emit = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) clean[k] = SECRET_KEYS.test(k) ? '***' : typeof v === 'string' ? redactUrl(v) : v;
    if (json) sink(JSON.stringify({ ts: new Date().toISOString(), level, component, msg, ...clean }));
    else sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${Object.entries(clean).map(([k, v]) => ` ${k}=${fmt(v)}`).join('')}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}.${c}`, sink),
  };
}
