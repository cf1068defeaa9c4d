// The MySQL schema: pipewarden's own tables (numbered MIGRATIONS) and the dataset's table,
// derived from its resolved spec (created and altered by `migrate`, not a numbered
// migration: its shape is the user's). Valid on MariaDB 10.11 and MySQL 8 (no
// engine-specific syntax beyond InnoDB and utf8mb4).
import { createHash } from 'node:crypto';
import type { ResolvedColumn, ResolvedSpec } from '../dataset/types';

export const TABLES = {
  ledger: 'batch_ledger',
  deadLetters: 'dead_letters',
  reconcileRuns: 'reconcile_runs',
  reconcileRunBatches: 'reconcile_run_batches',
  leases: 'object_leases',
  ranges: 'object_ranges',
  holds: 'pipeline_holds',
  migrations: 'schema_migrations',
} as const;

/** The SQL names pipewarden writes unquoted-safe: lower case letters, digits and _, at most 64. */
export const SQL_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

/** A backtick-quoted identifier. Names come only from the validated spec or this module (SQL_NAME); checked anyway. */
export function ident(name: string): string {
  if (!SQL_NAME.test(name)) throw new Error(`not a valid identifier: ${name}`);
  return `\`${name}\``;
}

/**
 * The hidden column of a `last` table: the source position of the row's occurrence (see
 * core/src/db/position.ts). VARBINARY so it compares byte by byte; DEFAULT '' so rows
 * written before the policy became `last` count as older than any occurrence loaded after.
 */
export const POSITION_COLUMN = '_pw_pos';
export const POSITION_DDL = `VARBINARY(3072) NOT NULL DEFAULT ''`;

/** Integer SQL types, narrowest first, with their ranges. */
export const INTEGER_TYPES: readonly { sql: string; min: bigint; max: bigint }[] = [
  { sql: 'SMALLINT UNSIGNED', min: 0n, max: 65535n },
  { sql: 'SMALLINT', min: -32768n, max: 32767n },
  { sql: 'INT UNSIGNED', min: 0n, max: 4294967295n },
  { sql: 'INT', min: -2147483648n, max: 2147483647n },
  { sql: 'BIGINT UNSIGNED', min: 0n, max: 18446744073709551615n },
  { sql: 'BIGINT', min: -9223372036854775808n, max: 9223372036854775807n },
];

/**
 * The narrowest of SMALLINT / INT / BIGINT holding [min, max], UNSIGNED when min >= 0
 * (no TINYINT, MEDIUMINT: NYC's small codes have always been SMALLINT UNSIGNED, and the
 * table of a deployment from before specs must still match). The spec's schema bounds
 * integers to the BIGINT ranges, so one always fits.
 */
export function integerType(min: bigint, max: bigint): string {
  const t = INTEGER_TYPES.find((x) => x.min <= min && max <= x.max && (min >= 0n) === x.sql.endsWith('UNSIGNED'));
  const any = t ?? INTEGER_TYPES.find((x) => x.min <= min && max <= x.max);
  if (!any) throw new Error(`no integer type holds ${min}…${max}`);
  return any.sql;
}

/** Column types whose key text is MySQL's text: they get a binary collation when part of the key. */
export function isText(c: ResolvedColumn): boolean {
  return c.type === 'string' || c.type === 'pattern' || c.type === 'enum';
}

/** A text column's length in characters, and whether it is CHAR (a fixed-length pattern up to 255); null for other types. */
export function textLength(c: ResolvedColumn): { length: number; fixed: boolean } | null {
  switch (c.type) {
    case 'string':
      return { length: c.maxLength, fixed: false };
    case 'pattern':
      return { length: c.maxLength, fixed: c.minLength === c.maxLength && c.maxLength <= 255 };
    case 'enum':
      return { length: Math.max(1, ...c.values.map((v) => v.length)), fixed: false };
    default:
      return null;
  }
}

/** CHAR(n) or VARCHAR(n). */
export function textSqlType(t: { length: number; fixed: boolean }): string {
  return t.fixed ? `CHAR(${t.length})` : `VARCHAR(${t.length})`;
}

/** The SQL type of a column, without nullability. */
export function columnSqlType(c: ResolvedColumn): string {
  switch (c.type) {
    case 'string':
    case 'pattern':
    case 'enum':
      return textSqlType(textLength(c)!);
    case 'integer':
      return integerType(BigInt(c.min), BigInt(c.max));
    case 'decimal':
      return `DECIMAL(${c.precision},${c.scale})`;
    case 'boolean':
      return 'TINYINT(1)';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'datetime':
      return 'DATETIME';
  }
}

/**
 * A key column's text compares byte for byte (utf8mb4_bin): MySQL's uniqueness must be
 * pipewarden's key text, or 'abc' and 'ABC' (or 'a' and 'a ') would be one key to the
 * table and two to the loader's checksums.
 */
export function columnDefinition(c: ResolvedColumn, opts: { nullable?: boolean } = {}): string {
  const collate = c.key && isText(c) ? ' COLLATE utf8mb4_bin' : '';
  const nullable = opts.nullable ?? !(c.key || c.required);
  return `${ident(c.name)} ${columnSqlType(c)}${collate} ${nullable ? 'NULL' : 'NOT NULL'}`;
}

/** ix_<columns>, cut with a short hash when longer than MySQL's 64-character names. */
export function indexName(cols: readonly string[]): string {
  const name = `ix_${cols.join('_')}`;
  if (name.length <= 64) return name;
  return `${name.slice(0, 55)}_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * CREATE TABLE for a dataset. Key columns are the PRIMARY KEY in key order (duplicates
 * are resolved by it: INSERT IGNORE under `first`, a guarded upsert under `last`).
 * A keyless dataset (`keep`) has no primary key on purpose: there is nothing to be unique,
 * and exactly-once does not need one: a batch's rows commit in one transaction with its
 * ledger row, so a batch is either wholly in the table or not at all, and the ledger says
 * which (InnoDB adds its own hidden row id as the clustered index).
 */
export function datasetDdl(spec: ResolvedSpec): string {
  const lines = spec.columns.map((c) => `  ${columnDefinition(c)}`);
  if (spec.duplicates === 'last') lines.push(`  ${ident(POSITION_COLUMN)} ${POSITION_DDL}`);
  if (spec.key.length > 0) lines.push(`  PRIMARY KEY (${spec.key.map(ident).join(', ')})`);
  for (const ix of spec.indexes) lines.push(`  KEY ${ident(indexName(ix))} (${ix.map(ident).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${ident(spec.table)} (\n${lines.join(',\n')}\n) ${TABLE_OPTIONS}`;
}

/**
 * A DDL statement run only when the column or index it adds is missing, so a migration
 * interrupted after it can run again (MySQL 8 has no ADD COLUMN/KEY IF NOT EXISTS). The
 * names are the schema's own constants; `ddl` goes into a string literal, its quotes doubled
 * (it is the schema's own text too, never a value from outside).
 */
export function ddlIfMissing(kind: 'column' | 'index', table: string, name: string, ddl: string): string[] {
  if (ddl.includes('\\')) throw new Error(`guarded DDL must not contain a backslash: ${ddl}`);
  const probe =
    kind === 'column'
      ? `information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}' AND column_name = '${name}'`
      : `information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '${table}' AND index_name = '${name}'`;
  return [`SET @pw_ddl = IF((SELECT COUNT(*) FROM ${probe}) = 0, '${ddl.replace(/'/g, "''")}', 'DO 0')`, 'PREPARE pw_ddl FROM @pw_ddl', 'EXECUTE pw_ddl', 'DEALLOCATE PREPARE pw_ddl'];
}

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    // Before datasets this migration created the NYC table `violations` too; that table is
    // now the dataset's, created and altered from its spec by `migrate` (a table made by
    // the old migration 1 passes that check unchanged).
    name: 'violations, batch ledger, dead letters, reconcile runs',
    statements: [
      `CREATE TABLE IF NOT EXISTS \`${TABLES.ledger}\` (
  \`batch_id\` CHAR(24) NOT NULL,
  \`source_key\` VARCHAR(1024) NOT NULL,
  \`source_etag\` VARCHAR(128) NOT NULL,
  \`first_record\` BIGINT UNSIGNED NOT NULL,
  \`record_count\` INT UNSIGNED NOT NULL,
  \`rows_kept\` INT UNSIGNED NOT NULL,
  \`rows_inserted\` INT UNSIGNED NOT NULL,
  \`rows_duplicate\` INT UNSIGNED NOT NULL,
  \`rows_rejected\` INT UNSIGNED NOT NULL,
  \`key_checksum\` VARCHAR(40) NOT NULL,
  \`committed_by\` VARCHAR(16) NOT NULL,
  \`committed_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (\`batch_id\`),
  KEY \`ix_committed_at\` (\`committed_at\`)
) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS \`${TABLES.deadLetters}\` (
  \`batch_id\` CHAR(24) NOT NULL,
  \`line_number\` BIGINT UNSIGNED NOT NULL,
  \`source_key\` VARCHAR(1024) NOT NULL,
  \`reason\` VARCHAR(32) NOT NULL,
  \`detail\` VARCHAR(255) NULL,
  \`raw\` MEDIUMBLOB NOT NULL,
  \`created_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (\`batch_id\`, \`line_number\`),
  KEY \`ix_reason\` (\`reason\`)
) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS \`${TABLES.reconcileRuns}\` (
  \`run_id\` CHAR(36) NOT NULL,
  \`trigger_source\` VARCHAR(16) NOT NULL,
  \`dry_run\` TINYINT(1) NOT NULL,
  \`started_at\` DATETIME(3) NOT NULL,
  \`finished_at\` DATETIME(3) NULL,
  \`duration_seconds\` DOUBLE NULL,
  \`batches_examined\` INT UNSIGNED NOT NULL DEFAULT 0,
  \`batches_repaired\` INT UNSIGNED NOT NULL DEFAULT 0,
  \`rows_missing\` BIGINT UNSIGNED NOT NULL DEFAULT 0,
  \`rows_inserted\` BIGINT UNSIGNED NOT NULL DEFAULT 0,
  \`outcome\` VARCHAR(16) NOT NULL,
  \`verification\` VARCHAR(16) NULL,
  \`error\` TEXT NULL,
  PRIMARY KEY (\`run_id\`),
  KEY \`ix_started_at\` (\`started_at\`)
) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 2,
    name: 'batch ledger: index by source object',
    // The loader reads the ledger's batches of every listed object at the start of each run
    // (the ledger, not the checkpoint, says what is loaded). A prefix: utf8mb4 VARCHAR(1024)
    // is longer than an InnoDB key may be. Guarded by information_schema so a migration
    // interrupted after the ALTER can run again (MySQL 8 has no ADD INDEX IF NOT EXISTS).
    statements: ddlIfMissing('index', TABLES.ledger, 'ix_source', `ALTER TABLE \`${TABLES.ledger}\` ADD KEY \`ix_source\` (\`source_key\`(191), \`first_record\`)`),
  },
  {
    version: 3,
    name: 'reconcile runs: who asked for the run, and its batches',
    // requested_by: the Grafana user who pressed the button (X-Grafana-User). The batches are
    // the run's report details (at most 100 a run), so a finished run's detail outlives the
    // reconciler's in-memory jobs. Guarded like migration 2 so an interrupted one runs again.
    statements: [
      ...ddlIfMissing('column', TABLES.reconcileRuns, 'requested_by', `ALTER TABLE \`${TABLES.reconcileRuns}\` ADD COLUMN \`requested_by\` VARCHAR(190) NULL`),
      `CREATE TABLE IF NOT EXISTS \`${TABLES.reconcileRunBatches}\` (
  \`run_id\` CHAR(36) NOT NULL,
  \`seq\` SMALLINT UNSIGNED NOT NULL,
  \`batch_id\` CHAR(24) NOT NULL,
  \`source_key\` VARCHAR(1024) NOT NULL,
  \`first_record\` BIGINT UNSIGNED NOT NULL,
  \`record_count\` INT UNSIGNED NOT NULL,
  \`rows_source\` VARCHAR(8) NOT NULL,
  \`rows_missing\` INT UNSIGNED NOT NULL,
  \`rows_inserted\` INT UNSIGNED NOT NULL,
  PRIMARY KEY (\`run_id\`, \`seq\`)
) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 4,
    name: 'pipelines: the ledger, dead letters and reconcile runs carry the pipeline',
    // Rows written before pipelines existed belong to the pipeline `default` (whose batch ids,
    // WAL and mirror keep the single-pipeline layout). The loader reads an object's ledger
    // batches by (pipeline, object): two pipelines may read the same object into two tables.
    statements: [
      ...ddlIfMissing('column', TABLES.ledger, 'pipeline', `ALTER TABLE \`${TABLES.ledger}\` ADD COLUMN \`pipeline\` VARCHAR(32) NOT NULL DEFAULT 'default'`),
      ...ddlIfMissing('index', TABLES.ledger, 'ix_pipeline_source', `ALTER TABLE \`${TABLES.ledger}\` ADD KEY \`ix_pipeline_source\` (\`pipeline\`, \`source_key\`(191), \`first_record\`)`),
      ...ddlIfMissing('column', TABLES.deadLetters, 'pipeline', `ALTER TABLE \`${TABLES.deadLetters}\` ADD COLUMN \`pipeline\` VARCHAR(32) NOT NULL DEFAULT 'default'`),
      // The exporter counts dead letters by (pipeline, reason) at every scrape.
      ...ddlIfMissing('index', TABLES.deadLetters, 'ix_pipeline_reason', `ALTER TABLE \`${TABLES.deadLetters}\` ADD KEY \`ix_pipeline_reason\` (\`pipeline\`, \`reason\`)`),
      ...ddlIfMissing('column', TABLES.reconcileRuns, 'pipeline', `ALTER TABLE \`${TABLES.reconcileRuns}\` ADD COLUMN \`pipeline\` VARCHAR(32) NOT NULL DEFAULT 'default'`),
    ],
  },
  {
    version: 5,
    name: 'scale-out: where each batch ends, object leases, pipeline holds',
    // end_byte/next_line: where a read resumes after the batch, so the ledger alone (with the
    // source) says where to go on; NULL for engines without byte offsets (Spark) and for
    // batches written before. object_leases: one row per object of a pipeline, claimed by a
    // loader for a while (owner, expires_at, compared with the server's clock so the hosts'
    // clocks do not matter), marked done with the object's record count when it is loaded.
    // seat: the owner's host and run folder (hashed), so a loader restarted on the same run
    // folder takes its dead predecessor's leases at once instead of waiting for them to lapse.
    // Keyed by a hash of the object key: a utf8mb4 VARCHAR(1024) is longer than a key may be.
    statements: [
      ...ddlIfMissing('column', TABLES.ledger, 'end_byte', `ALTER TABLE \`${TABLES.ledger}\` ADD COLUMN \`end_byte\` BIGINT UNSIGNED NULL, ADD COLUMN \`next_line\` BIGINT UNSIGNED NULL`),
      `CREATE TABLE IF NOT EXISTS \`${TABLES.leases}\` (
  \`pipeline\` VARCHAR(32) NOT NULL,
  \`object_hash\` CHAR(64) CHARACTER SET ascii NOT NULL,
  \`source_key\` VARCHAR(1024) NOT NULL,
  \`source_etag\` VARCHAR(128) NOT NULL,
  \`owner\` VARCHAR(190) NULL,
  \`seat\` CHAR(16) CHARACTER SET ascii NULL,
  \`expires_at\` DATETIME(3) NULL,
  \`claimed_at\` DATETIME(3) NULL,
  \`done_records\` BIGINT UNSIGNED NULL,
  \`updated_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (\`pipeline\`, \`object_hash\`),
  KEY \`ix_owner\` (\`pipeline\`, \`owner\`)
) ${TABLE_OPTIONS}`,
      // One row per pipeline: a reconcile run's hold on every loader of it (core/src/db/holds.ts).
      `CREATE TABLE IF NOT EXISTS \`${TABLES.holds}\` (
  \`pipeline\` VARCHAR(32) NOT NULL,
  \`held_by\` CHAR(36) NULL,
  \`held_since\` DATETIME(3) NULL,
  \`error\` TEXT NULL,
  PRIMARY KEY (\`pipeline\`)
) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 6,
    name: 'scale-out: byte ranges of a large object',
    // A large object is cut into ranges of whole batches (core/src/db/ranges.ts) that several
    // loaders load at once. object_leases.split: NULL for an object loaded whole, 0 while its
    // ranges are being found, 1 once all are. object_ranges: one row per range, keyed by its
    // first record (the batch ids stay those of a whole-object load), with where it begins
    // and ends in the object, and a lease of its own, like an object's.
    statements: [
      ...ddlIfMissing('column', TABLES.leases, 'split', `ALTER TABLE \`${TABLES.leases}\` ADD COLUMN \`split\` TINYINT NULL`),
      `CREATE TABLE IF NOT EXISTS \`${TABLES.ranges}\` (
  \`pipeline\` VARCHAR(32) NOT NULL,
  \`object_hash\` CHAR(64) CHARACTER SET ascii NOT NULL,
  \`first_record\` BIGINT UNSIGNED NOT NULL,
  \`source_etag\` VARCHAR(128) NOT NULL,
  \`record_count\` BIGINT UNSIGNED NOT NULL,
  \`batch_size\` INT UNSIGNED NOT NULL,
  \`start_byte\` BIGINT UNSIGNED NOT NULL,
  \`start_line\` BIGINT UNSIGNED NOT NULL,
  \`end_byte\` BIGINT UNSIGNED NOT NULL,
  \`next_line\` BIGINT UNSIGNED NOT NULL,
  \`owner\` VARCHAR(190) NULL,
  \`seat\` CHAR(16) CHARACTER SET ascii NULL,
  \`expires_at\` DATETIME(3) NULL,
  \`claimed_at\` DATETIME(3) NULL,
  \`done_records\` BIGINT UNSIGNED NULL,
  \`updated_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (\`pipeline\`, \`object_hash\`, \`first_record\`),
  KEY \`ix_owner\` (\`pipeline\`, \`owner\`)
) ${TABLE_OPTIONS}`,
    ],
  },
];

/** The newest schema this build knows; `migrate` refuses a database that has a newer one. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
