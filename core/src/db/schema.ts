// The MySQL schema, derived from the one violation spec. Valid on MariaDB 10.11 and
// MySQL 8 (no engine-specific syntax beyond InnoDB and utf8mb4).
import { COLUMNS, type ColumnSpec } from '../record/spec';

export const TABLES = {
  violations: 'violations',
  ledger: 'batch_ledger',
  deadLetters: 'dead_letters',
  reconcileRuns: 'reconcile_runs',
  reconcileRunBatches: 'reconcile_run_batches',
  migrations: 'schema_migrations',
} as const;

function sqlType(c: ColumnSpec): string {
  switch (c.type) {
    case 'key':
      return 'BIGINT UNSIGNED NOT NULL';
    case 'string':
      return `VARCHAR(${c.max ?? 255}) NULL`;
    case 'state':
      return 'CHAR(2) NULL';
    case 'plate_type':
      return 'CHAR(3) NULL';
    case 'int':
      return (c.max ?? 0) <= 65535 ? 'SMALLINT UNSIGNED NULL' : 'INT UNSIGNED NULL';
    case 'date':
      return 'DATE NULL';
    case 'time':
      return 'TIME NULL';
    case 'year':
      return 'SMALLINT UNSIGNED NULL';
  }
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export function violationsDdl(table: string = TABLES.violations): string {
  const cols = COLUMNS.map((c) => `  \`${c.column}\` ${sqlType(c)}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
${cols},
  PRIMARY KEY (\`summons_number\`),
  KEY \`ix_issue_date\` (\`issue_date\`),
  KEY \`ix_violation_precinct\` (\`violation_precinct\`),
  KEY \`ix_violation_code\` (\`violation_code\`)
) ${TABLE_OPTIONS}`;
}

/**
 * A DDL statement run only when the column or index it adds is missing, so a migration
 * interrupted after it can run again (MySQL 8 has no ADD COLUMN/KEY IF NOT EXISTS). The
 * names are the schema's own constants; `ddl` goes into a string literal, so no quotes.
 */
export function ddlIfMissing(kind: 'column' | 'index', table: string, name: string, ddl: string): string[] {
  if (ddl.includes("'")) throw new Error(`guarded DDL must not contain a quote: ${ddl}`);
  const probe =
    kind === 'column'
      ? `information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}' AND column_name = '${name}'`
      : `information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '${table}' AND index_name = '${name}'`;
  return [`SET @pw_ddl = IF((SELECT COUNT(*) FROM ${probe}) = 0, '${ddl}', 'DO 0')`, 'PREPARE pw_ddl FROM @pw_ddl', 'EXECUTE pw_ddl', 'DEALLOCATE PREPARE pw_ddl'];
}

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'violations, batch ledger, dead letters, reconcile runs',
    statements: [
      violationsDdl(),
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
];

/** The newest schema this build knows; `migrate` refuses a database that has a newer one. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
