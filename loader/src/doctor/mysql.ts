// The target MySQL's settings that decide pipewarden's speed and safety: read (readMysql) and
// judged (judgeMysql, pure) apart, so the judgement is unit-tested on any server's values.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { datasetOf, indexPlan, readTable, TABLES, type Config } from '@pipewarden/core';
import type { Finding } from './types';

export interface MysqlFacts {
  version: string;
  variables: Record<string, string>;
  /** The privileges the user holds on pipewarden's database (or globally), upper case. */
  privileges: string[];
  /** Data + index bytes of the dataset tables and pipewarden's own. */
  tableBytes: number;
  /** Dataset tables that lack secondary indexes of their spec (deferred by an initial load), with those indexes. */
  missingIndexes: { table: string; indexes: string[] }[];
}

const VARIABLES = ['version', 'local_infile', 'innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'binlog_format', 'innodb_buffer_pool_size', 'innodb_log_file_size', 'innodb_log_files_in_group', 'innodb_redo_log_capacity'];
/** What migrations and batches need; CREATE TEMPORARY TABLES for the staging table of duplicates: last (core/src/db/upsert-last.ts). */
const NEEDED_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'INDEX', 'CREATE TEMPORARY TABLES'];

/** The spec indexes each pipeline's table lacks (a table not created yet lacks nothing: migrate creates it whole). */
async function readMissingIndexes(pool: Pool, pipelines: Config[]): Promise<MysqlFacts['missingIndexes']> {
  const out: MysqlFacts['missingIndexes'] = [];
  for (const c of pipelines) {
    const spec = datasetOf(c);
    const table = await readTable(pool, spec.table);
    const missing = table ? indexPlan(spec, table).missing.map((m) => m.name) : [];
    if (missing.length > 0) out.push({ table: spec.table, indexes: missing });
  }
  return out;
}

export async function readMysql(pool: Pool, pipelines: Config[]): Promise<MysqlFacts> {
  const tables = tablesOf(pipelines);
  const [vars] = await pool.query<RowDataPacket[]>(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${VARIABLES.map(() => '?').join(', ')})`, VARIABLES);
  const variables = Object.fromEntries(vars.map((r) => [String(r.Variable_name), String(r.Value)]));
  const [grants] = await pool.query<RowDataPacket[]>('SHOW GRANTS');
  const [[db]] = await pool.query<RowDataPacket[]>('SELECT DATABASE() AS d');
  const [[size]] = await pool.query<RowDataPacket[]>('SELECT COALESCE(SUM(data_length + index_length), 0) AS b FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?)', [tables]);
  return { version: variables.version ?? '', variables, privileges: privilegesOn(grants.map((g) => String(Object.values(g)[0])), String(db.d)), tableBytes: Number(size.b), missingIndexes: await readMissingIndexes(pool, pipelines) };
}

/** The privileges that GRANT lines give on `db` (or on everything). */
export function privilegesOn(grants: string[], db: string): string[] {
  const out = new Set<string>();
  for (const g of grants) {
    const m = /^GRANT (.+?) ON (\S+)\.\S+ TO /i.exec(g);
    if (!m) continue;
    const scope = m[2].replace(/`/g, '');
    if (scope !== '*' && scope !== db) continue;
    for (const p of m[1].split(',').map((x) => x.trim().toUpperCase())) {
      if (p === 'ALL PRIVILEGES' || p === 'ALL') NEEDED_PRIVILEGES.forEach((n) => out.add(n));
      else out.add(p);
    }
  }
  return [...out];
}

const GB = 2 ** 30;
const gb = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;

export function judgeMysql(f: MysqlFacts): Finding[] {
  const v = f.variables;
  const out: Finding[] = [];
  const add = (check: string, value: string, verdict: Finding['verdict'], meaning: string) => out.push({ target: 'mysql', check, value, verdict, meaning });

  const mariadb = /mariadb/i.test(f.version);
  const [major, minor] = f.version.split('.').map(Number);
  const supported = mariadb ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
  add('version', f.version, supported ? 'ok' : 'warn', supported ? 'a tested server line (MariaDB 10.6+, MySQL 8)' : 'pipewarden is tested on MariaDB 10.6+ and MySQL 8; older servers may lack what migrations use (ALGORITHM=INSTANT, CHECK constraints)');

  const missing = NEEDED_PRIVILEGES.filter((p) => !f.privileges.includes(p));
  add('privileges', f.privileges.filter((p) => NEEDED_PRIVILEGES.includes(p)).join(', ') || '(none)', missing.length ? 'fail' : 'ok', missing.length ? `the user lacks ${missing.join(', ')} on the database: migrations or batches will fail (GRANT ${NEEDED_PRIVILEGES.join(', ')} ON <db>.* TO <user>)` : 'everything migrations and batches need, on the database');

  const infile = v.local_infile === 'ON' || v.local_infile === '1';
  add('local_infile', v.local_infile ?? '?', infile ? 'ok' : 'warn', infile ? 'batches go in by LOAD DATA LOCAL INFILE, the fastest path' : 'batches fall back to multi-row INSERT, about half as fast: SET GLOBAL local_infile = 1 (and in my.cnf)');

  const flush = v.innodb_flush_log_at_trx_commit;
  add('innodb_flush_log_at_trx_commit', flush ?? '?', flush === '1' ? 'ok' : 'warn', flush === '1' ? 'every acknowledged batch is on disk' : `a crash (${flush === '0' ? 'of mysqld' : 'of the host'}) can lose about a second of acknowledged commits; the loader and the reconciler put them back from the WAL, the mirror or the source (keep PIPEWARDEN_WAL_RETENTION_SECONDS and the mirror's retention), and a load says finished only after the server's log flush`);

  if (v.log_bin === 'ON' || v.log_bin === '1') {
    add('sync_binlog', v.sync_binlog ?? '?', v.sync_binlog === '1' ? 'ok' : 'warn', v.sync_binlog === '1' ? 'the binary log is on disk with each commit' : 'a host crash can lose binary-log events of acknowledged commits: replicas and point-in-time recovery may miss batches the primary has (sync_binlog = 1)');
    add('binlog_format', v.binlog_format ?? '?', v.binlog_format === 'ROW' ? 'ok' : 'warn', v.binlog_format === 'ROW' ? 'LOAD DATA batches replicate row by row, exactly' : 'statement-based logging of LOAD DATA and INSERT … ON DUPLICATE KEY UPDATE is unsafe for replicas: binlog_format = ROW');
  } else {
    add('log_bin', 'OFF', 'ok', 'no binary log: nothing to keep in step (a replica or point-in-time recovery needs one)');
  }

  const pool = Number(v.innodb_buffer_pool_size ?? 0);
  const fits = f.tableBytes * 1.3 <= pool;
  add('innodb_buffer_pool_size', `${gb(pool)} for ${gb(f.tableBytes)} of tables`, fits ? 'ok' : 'warn', fits ? 'the tables and their indexes fit in memory: inserts stay in memory' : 'the tables outgrow the buffer pool: every insert into a key or index page not in memory is a random read (measured: 60k rows/s at 1M rows fell to 8.5k at 5.6M with 1 GB); give it the tables plus a third, up to 70% of a dedicated server');

  const redo = v.innodb_redo_log_capacity ? Number(v.innodb_redo_log_capacity) : Number(v.innodb_log_file_size ?? 0) * Number(v.innodb_log_files_in_group ?? 1);
  const lacking = f.missingIndexes.map((m) => `${m.table}: ${m.indexes.join(', ')}`).join('; ');
  add('secondary indexes', lacking || 'as the specs say', lacking ? 'warn' : 'ok', lacking ? 'an initial load left them out to build them after its data, and has not finished (or was stopped): the next load builds them when it finishes, `pipewarden migrate` builds them now; until then, queries on those columns read the whole table' : 'every index the dataset specs name is in place');

  add('redo log size', gb(redo), redo >= GB ? 'ok' : 'warn', redo >= GB ? 'holds minutes of bulk writes: checkpoints do not throttle a long load' : 'a small redo log forces checkpoints every few seconds during a bulk load: innodb_log_file_size (MariaDB, MySQL < 8.0.30) or innodb_redo_log_capacity ≥ 1–2 GB');
  return out;
}

/** The dataset tables of every pipeline and pipewarden's own, for the size check. */
function tablesOf(configs: Config[]): string[] {
  return [...new Set([...configs.map((c) => datasetOf(c).table), ...Object.values(TABLES)])];
}
