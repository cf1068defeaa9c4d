// `pipewarden migrate`: create the database and apply pending migrations, in order,
// under a named lock so two processes never race. Re-running is a no-op. Each applied
// version is recorded with the build that applied it; a database migrated by a newer
// pipewarden (a version this build does not know) is refused before anything is written,
// since older code would misread tables it does not know the shape of.
import type { Config } from '../config';
import { UserError } from '../errors';
import { buildInfo } from '../version';
import { connect, parseMysqlUrl } from './connection';
import { MIGRATIONS, SCHEMA_VERSION, TABLES, ddlIfMissing } from './schema';

export interface MigrateResult {
  database: string;
  applied: number[];
  current: number;
}

export async function migrate(config: Config): Promise<MigrateResult> {
  const { database } = parseMysqlUrl(config.mysql.url);
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
    await conn.query('SELECT RELEASE_LOCK(?)', [`pipewarden_migrate_${database}`]);
    return { database, applied, current: SCHEMA_VERSION };
  } finally {
    await conn.end();
  }
}
