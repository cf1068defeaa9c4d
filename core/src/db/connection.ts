// MySQL connections from configuration. The database name is an identifier that goes
// into DDL, so it is checked against a whitelist rather than escaped.
import mysql from 'mysql2/promise';
import type { Connection as CallbackConnection } from 'mysql2';
import type { RowDataPacket } from 'mysql2/promise';
import type { Config } from '../config';
import { errorMessage, UserError } from '../errors';
import { createLogger } from '../log';

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function checkIdentifier(name: string, what = 'identifier'): string {
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

function mysqlOptions(config: Config, withDatabase = true): mysql.PoolOptions {
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

// Every session runs in UTC, so NOW(3), CURRENT_TIMESTAMP, FROM_UNIXTIME and UNIX_TIMESTAMP
// mean the same instant whatever the server's time zone, and readers can take stored times
// as UTC. (`timezone: 'Z'` above only governs the client's own conversions.)
const UTC = "SET time_zone = '+00:00'";

/** The parts of a mysql2 core connection the session set-up touches. */
interface CoreConnection {
  query(sql: unknown, values?: unknown, cb?: unknown): unknown;
  execute(sql: unknown, values?: unknown, cb?: unknown): unknown;
  destroy(): void;
}

type ResultCallback = (err: (Error & { code?: string }) | null, ...rest: unknown[]) => void;

/** The parts of a mysql2 command (Query, Execute) the deadline touches. */
interface Command {
  timeout?: number;
  /** mysql2's deadline timer for the running statement. */
  queryTimeout?: NodeJS.Timeout | null;
  onResult?: ResultCallback;
  once?(event: 'error', listener: (err: Error & { code?: string }) => void): void;
  constructor: unknown;
}

/**
 * Give every statement on this connection a deadline unless the caller set its own.
 * mysql2 has a per-query `timeout` but no connection-wide default, and the statements are
 * issued all over the code base (the batch transaction, the reconciler, migrations): this
 * is the one place that bounds them. mysql2 only reports a timeout (PROTOCOL_SEQUENCE_TIMEOUT)
 * and leaves the statement running on the connection, so the connection is destroyed too:
 * the server ends (or rolls back) the statement, and a pool never hands that connection on
 * with a statement still in flight.
 */
function applyDeadline(c: CoreConnection, ms: number): void {
  const settle = (cmd: Command, err: (Error & { code?: string }) | null) => {
    // mysql2 clears the deadline timer when a statement ends or the server answers with an
    // error, but not when the connection is lost mid-statement (its _notifyError calls
    // onResult directly): the timer would keep the process alive for the whole deadline
    // after everything was closed, then fire on a finished command.
    if (err && cmd.queryTimeout) {
      clearTimeout(cmd.queryTimeout);
      cmd.queryTimeout = null;
    }
    if (err?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') c.destroy();
  };
  for (const method of ['query', 'execute'] as const) {
    const original = c[method].bind(c);
    c[method] = (sql: unknown, values?: unknown, cb?: unknown) => {
      let arg: unknown;
      if (typeof sql === 'string') arg = { sql, timeout: ms };
      // A plain options object is the caller's: copy it.
      else if ((sql as Command).constructor === Object) arg = { timeout: ms, ...(sql as object) };
      else {
        // A command object (what the pool passes) is ours to annotate.
        (sql as Command).timeout ??= ms;
        arg = sql;
      }
      const cmd = original(arg, values, cb) as Command;
      const done = cmd.onResult;
      if (done) {
        cmd.onResult = (err, ...rest) => {
          settle(cmd, err);
          done(err, ...rest);
        };
      } else cmd.once?.('error', (err) => settle(cmd, err));
      return cmd;
    };
  }
}

const sessionLog = createLogger('mysql');

/** UTC and deadlines, queued on a new connection before anything else it runs. */
function prepareSession(c: CoreConnection, config: Config): void {
  applyDeadline(c, config.mysql.queryTimeoutSeconds * 1000);
  c.query(UTC, (err: Error | null) => {
    if (!err) return;
    // A session not in UTC would store and read times in the server's zone: never use it.
    sessionLog.warn('cannot set the MySQL session to UTC; discarding the connection', { error: errorMessage(err) });
    c.destroy();
  });
}

/**
 * The one MySQL pool factory: every service's sessions run in UTC with the configured
 * statement deadline. `overrides` adjusts the pool itself (size, idle time, queue).
 */
export function createPool(config: Config, overrides: Pick<mysql.PoolOptions, 'connectionLimit' | 'maxIdle' | 'idleTimeout' | 'queueLimit' | 'connectTimeout'> = {}): mysql.Pool {
  const pool = mysql.createPool({ ...mysqlOptions(config), ...overrides });
  pool.pool.on('connection', (c) => prepareSession(c as unknown as CoreConnection, config));
  return pool;
}

export async function connect(config: Config, withDatabase = true): Promise<mysql.Connection> {
  const opts = mysqlOptions(config, withDatabase);
  const conn = await mysql.createConnection(opts as mysql.ConnectionOptions);
  // The promise wrapper keeps its core connection here (untyped).
  applyDeadline((conn as unknown as { connection: CoreConnection }).connection, config.mysql.queryTimeoutSeconds * 1000);
  await conn.query(UTC);
  return conn;
}

/**
 * The callback connection under a promise one (same session: UTC, deadlines), for what the
 * promise API cannot do: streaming a large result row by row (`.query(...).on('result')`).
 */
export function streamingConnection(conn: mysql.Connection): CallbackConnection {
  return (conn as unknown as { connection: CallbackConnection }).connection;
}

/** Ping MySQL with a short timeout; true when it answers. */
export async function pingMysql(config: Config, timeoutMs = 2000): Promise<boolean> {
  return (await mysqlUptime(config, timeoutMs)) !== null;
}

/** MySQL's Uptime in seconds, or null when it does not answer in time (a server or network error is no answer; any other error is thrown). */
export async function mysqlUptime(config: Config, timeoutMs: number): Promise<number | null> {
  let conn: mysql.Connection | undefined;
  const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
  try {
    const attempt = (async () => {
      conn = await mysql.createConnection({ ...(mysqlOptions(config) as mysql.ConnectionOptions), connectTimeout: timeoutMs });
      const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Uptime'");
      return Number(rows[0]?.Value ?? 0);
    })();
    return await Promise.race([attempt, timer]);
  } catch (e) {
    // Any server or network error (each carries a code) means "does not answer"; a bug does not.
    if (typeof (e as { code?: unknown })?.code === 'string') return null;
    throw e;
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

/**
 * How a reader of pipewarden's tables runs its statements: the SQL stays in the module that
 * owns the table, the caller keeps its own connection, timeout and retry (the exporter's).
 */
export type SelectRows = (sql: string) => Promise<RowDataPacket[]>;
