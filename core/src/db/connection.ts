// MySQL connections from configuration. The database name is an identifier that goes
// into DDL, so it is checked against a whitelist rather than escaped.
import mysql from 'mysql2/promise';
import type { Config } from '../config';
import { UserError } from '../errors';

export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function checkIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER_RE.test(name)) throw new UserError(`invalid ${what} "${name}": use letters, digits and _ (at most 64)`);
  return name;
}

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  socketPath?: string;
}

export function parseMysqlUrl(url: string, passwordOverride?: string): MysqlTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`PIPEWARDEN_MYSQL_URL is not a URL (expected mysql://user[:password]@host:port/database)`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'pipewarden';
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    password: passwordOverride ?? (u.password ? decodeURIComponent(u.password) : undefined),
    database: checkIdentifier(database, 'database name'),
    socketPath: u.searchParams.get('socket') ?? undefined,
  };
}

export function mysqlOptions(config: Config, withDatabase = true): mysql.PoolOptions {
  const t = parseMysqlUrl(config.mysql.url, config.mysql.password);
  return {
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: withDatabase ? t.database : undefined,
    socketPath: t.socketPath,
    connectionLimit: config.mysql.connections,
    // DATE/TIME come back as strings: no time-zone conversion of calendar values.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
    connectTimeout: 5000,
    enableKeepAlive: true,
    timezone: 'Z',
  };
}

// Every session runs in UTC, so NOW(3), CURRENT_TIMESTAMP and FROM_UNIXTIME mean the same
// instant whatever the server's time zone, and readers can take stored times as UTC.
const UTC = "SET time_zone = '+00:00'";

export function createPool(config: Config): mysql.Pool {
  const pool = mysql.createPool(mysqlOptions(config));
  // Queued on the new connection before anything else it runs.
  pool.pool.on('connection', (c) => c.query(UTC, () => undefined));
  return pool;
}

export async function connect(config: Config, withDatabase = true): Promise<mysql.Connection> {
  const opts = mysqlOptions(config, withDatabase);
  const conn = await mysql.createConnection(opts as mysql.ConnectionOptions);
  await conn.query(UTC);
  return conn;
}

/** Ping MySQL with a short timeout; true when it answers. */
export async function pingMysql(config: Config, timeoutMs = 2000): Promise<boolean> {
  let conn: mysql.Connection | undefined;
  const timer = new Promise<false>((r) => setTimeout(() => r(false), timeoutMs).unref());
  try {
    const attempt = (async () => {
      conn = await mysql.createConnection({ ...(mysqlOptions(config) as mysql.ConnectionOptions), connectTimeout: timeoutMs });
      await conn.query('SELECT 1');
      return true as const;
    })();
    return await Promise.race([attempt, timer]);
  } catch {
    return false;
  } finally {
    conn?.destroy();
  }
}

/** Errors that mean "the server is gone", as opposed to a bad statement. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  const fatal = (e as { fatal?: boolean })?.fatal === true;
  return (
    fatal ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN', 'PROTOCOL_SEQUENCE_TIMEOUT', 'EHOSTUNREACH', 'ER_CON_COUNT_ERROR', 'ER_CONNECTION_KILLED', 'ENOTCONN', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', 'ER_UNKNOWN_COM_ERROR'].includes(code) ||
    /Connection lost|closed state|Can't add new command when connection is in closed state/i.test(String((e as Error)?.message))
  );
}
