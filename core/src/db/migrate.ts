// `pipewarden migrate`: create the database and apply pending migrations, in order,
// under a named lock so two processes never race. Re-running is a no-op. Each applied
// version is recorded with the build that applied it; a database migrated by a newer
// pipewarden (a version this build does not know) is refused before anything is written,
// since older code would misread tables it does not know the shape of. Then the dataset
// tables of every pipeline (core/src/pipelines.ts; one `default` pipeline without a config
// file's `pipelines`), or of the one asked for: each created from its spec when absent, else
// compared with the spec and altered only in ways that never lose data
// (./dataset-table.ts); anything else is refused, naming the pipeline, the column and the
// reason, before any statement of any table runs.
import { DEFAULT_PIPELINE, type Config } from '../config';
import { UserError } from '../errors';
import { buildInfo } from '../version';
import { connect, parseMysqlUrl } from './connection';
import { MIGRATIONS, SCHEMA_VERSION, TABLES, ddlIfMissing } from './schema';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { datasetOf } from '../dataset/of-config';
import { selectedPipelineConfigs } from '../pipelines';
import type { ResolvedSpec } from '../dataset/types';
import { planTable, readTable, supportsInstantAdd, type TablePlan } from './dataset-table';

interface AppliedChange {
  sql: string;
  what: string;
  /** ADD COLUMN: 'INSTANT', or 'default' when the server cannot (or would not) add it instantly. */
  algorithm?: 'INSTANT' | 'default';
}

interface DatasetTableResult {
  /** The pipeline whose table this is. */
  pipeline: string;
  table: string;
  /** The spec it was compared with (builtin:NAME or a path). */
  spec: string;
  created: boolean;
  changes: AppliedChange[];
  /** Left alone and reported: columns the spec no longer has. */
  notes: string[];
}

export interface MigrateResult {
  database: string;
  applied: number[];
  current: number;
  /** The first pipeline's table (the only one without `pipelines`; the selected one with `pipeline`). */
  dataset: DatasetTableResult;
  /** Every table migrated, one per pipeline, in the config's order. */
  datasets: DatasetTableResult[];
  /** --dry-run: nothing was executed; these are the statements a real run would execute. */
  dryRun?: string[];
}

async function databaseExists(config: Config, database: string): Promise<boolean> {
  const admin = await connect(config, false);
  try {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [database]);
    return rows.length > 0;
  } finally {
    await admin.end();
  }
}

/** Refused changes stop the whole migration of the table, each with its column and reason. */
function refuse(plan: TablePlan, spec: string, pipeline: string): never {
  throw new UserError(
    `the table ${plan.table}${pipeline === DEFAULT_PIPELINE ? '' : ` (pipeline ${pipeline})`} cannot be migrated to the spec ${spec} without risking its data:\n  - ${plan.refusals.join('\n  - ')}`,
    'pipewarden never narrows, retypes, re-keys or drops: change the spec back, or load into a new table (set its `table`)',
  );
}

/** Apply a table plan; an ADD COLUMN goes INSTANT where the server can, else by the default algorithm. */
async function applyPlan(conn: Connection, plan: TablePlan, instant: boolean): Promise<AppliedChange[]> {
  const done: AppliedChange[] = [];
  for (const ch of plan.changes) {
    if (!ch.instant) {
      await conn.query(ch.sql);
      done.push({ sql: ch.sql, what: ch.what });
      continue;
    }
    if (instant) {
      try {
        await conn.query(`${ch.sql}, ALGORITHM=INSTANT`);
        done.push({ sql: `${ch.sql}, ALGORITHM=INSTANT`, what: ch.what, algorithm: 'INSTANT' });
        continue;
      } catch (e) {
        // ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON): this table cannot (a FULLTEXT index, an
        // old row format, too many instant changes); the default algorithm can.
        if (![1845, 1846].includes((e as { errno?: number }).errno ?? 0)) throw e;
      }
    }
    await conn.query(ch.sql);
    done.push({ sql: ch.sql, what: ch.what, algorithm: 'default' });
  }
  return done;
}

export interface MigrateOptions {
  dryRun?: boolean;
  /** Migrate only this pipeline's table; default every pipeline's. pipewarden's own tables are migrated either way. */
  pipeline?: string;
  /**
   * Leave the spec's secondary indexes that an existing table lacks to the load about to run:
   * it builds them in one pass when it finishes (deferred-indexes.ts), instead of having every
   * row of an interrupted initial load's remainder inserted into them one by one.
   */
  indexesAtLoadEnd?: boolean;
}

/** The pipelines whose tables a migration covers, with their specs (checked: one table per pipeline). */
function targets(config: Config, pipeline: string | undefined): { pipeline: string; spec: ResolvedSpec }[] {
  return selectedPipelineConfigs(config, pipeline).map((c) => ({ pipeline: c.pipeline, spec: datasetOf(c) }));
}

function tableResult(pipeline: string, spec: ResolvedSpec, plan: TablePlan, changes: AppliedChange[]): DatasetTableResult {
  return { pipeline, table: spec.table, spec: spec.origin, created: plan.create, changes, notes: plan.notes };
}

export async function migrate(config: Config, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const { database } = parseMysqlUrl(config.mysql.url);
  const tables = targets(config, opts.pipeline);
  if (opts.dryRun) return dryRun(config, database, tables);
  const admin = await connect(config, false);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const conn = await connect(config);
  try {
    const [lock] = await conn.query<import('mysql2').RowDataPacket[]>('SELECT GET_LOCK(?, 30) AS l', [`pipewarden_migrate_${database}`]);
    if (Number(lock[0].l) !== 1) throw new Error('another migration holds the lock for more than 30 s');
    await conn.query(`CREATE TABLE IF NOT EXISTS \`${TABLES.migrations}\` (
  \`version\` INT NOT NULL PRIMARY KEY,
  \`name\` VARCHAR(200) NOT NULL,
  \`applied_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  \`applied_by\` VARCHAR(100) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    // A table created before applied_by existed gains it (guarded, as migrations 2 and 3 are).
    for (const sql of ddlIfMissing('column', TABLES.migrations, 'applied_by', `ALTER TABLE \`${TABLES.migrations}\` ADD COLUMN \`applied_by\` VARCHAR(100) NULL`)) await conn.query(sql);
    const [rows] = await conn.query<import('mysql2').RowDataPacket[]>(`SELECT version, applied_by FROM \`${TABLES.migrations}\` ORDER BY version DESC`);
    const build = buildInfo();
    const newest = rows[0];
    if (newest && Number(newest.version) > SCHEMA_VERSION) {
      throw new UserError(
        `the database ${database} has schema version ${newest.version}${newest.applied_by ? ` (migrated by pipewarden ${newest.applied_by})` : ''}, newer than this pipewarden ${build.version} knows (schema version ${SCHEMA_VERSION}); refusing to use it`,
        'run the pipewarden that migrated the database, or a newer one; the schema is never downgraded',
      );
    }
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const mig of MIGRATIONS) {
      if (done.has(mig.version)) continue;
      for (const sql of mig.statements) await conn.query(sql);
      await conn.query(`INSERT INTO \`${TABLES.migrations}\` (version, name, applied_by) VALUES (?, ?, ?)`, [mig.version, mig.name, `${build.version} (${build.revision})`]);
      applied.push(mig.version);
    }
    // Every table planned before any is altered: a refusal leaves them all as they were.
    const plans: TablePlan[] = [];
    for (const t of tables) plans.push(planTable(t.spec, await readTable(conn, t.spec.table)));
    plans.forEach((plan, i) => plan.refusals.length > 0 && refuse(plan, tables[i].spec.origin, tables[i].pipeline));
    if (opts.indexesAtLoadEnd) for (const plan of plans) plan.changes = plan.changes.filter((c) => !c.index);
    const [[v]] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS v');
    const datasets: DatasetTableResult[] = [];
    for (const [i, plan] of plans.entries()) datasets.push(tableResult(tables[i].pipeline, tables[i].spec, plan, await applyPlan(conn, plan, supportsInstantAdd(String(v.v)))));
    await conn.query('SELECT RELEASE_LOCK(?)', [`pipewarden_migrate_${database}`]);
    return { database, applied, current: SCHEMA_VERSION, dataset: datasets[0], datasets };
  } finally {
    await conn.end();
  }
}

/** What migrate would execute, without executing anything (the database may not exist yet). */
async function dryRun(config: Config, database: string, tables: { pipeline: string; spec: ResolvedSpec }[]): Promise<MigrateResult> {
  const statements: string[] = [];
  let applied: number[] = [];
  const plans: TablePlan[] = [];
  if (!(await databaseExists(config, database))) {
    statements.push(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    applied = MIGRATIONS.map((m) => m.version);
    for (const t of tables) plans.push(planTable(t.spec, null));
  } else {
    const conn = await connect(config);
    try {
      const [hasTable] = await conn.query<RowDataPacket[]>('SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [TABLES.migrations]);
      const done = new Set<number>();
      if (hasTable.length > 0) for (const r of (await conn.query<RowDataPacket[]>(`SELECT version FROM \`${TABLES.migrations}\``))[0]) done.add(Number(r.version));
      applied = MIGRATIONS.filter((m) => !done.has(m.version)).map((m) => m.version);
      for (const t of tables) plans.push(planTable(t.spec, await readTable(conn, t.spec.table)));
    } finally {
      await conn.end();
    }
  }
  for (const m of MIGRATIONS) if (applied.includes(m.version)) statements.push(...m.statements);
  plans.forEach((plan, i) => plan.refusals.length > 0 && refuse(plan, tables[i].spec.origin, tables[i].pipeline));
  const datasets = plans.map((plan, i) => {
    const changes = plan.changes.map((c) => ({ sql: c.sql, what: c.what }));
    statements.push(...changes.map((c) => c.sql));
    return tableResult(tables[i].pipeline, tables[i].spec, plan, changes);
  });
  return { database, applied, current: SCHEMA_VERSION, dataset: datasets[0], datasets, dryRun: statements };
}
