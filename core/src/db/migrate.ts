// `pipewarden migrate`: create the database and apply pending migrations, in order,
// under a named lock so two processes never race. Re-running is a no-op.
import type { Config } from '../config';
import { connect, parseMysqlUrl } from './connection';
import { MIGRATIONS, TABLES } from './schema';

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
  \`applied_at\` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    const [rows] = await conn.query<import('mysql2').RowDataPacket[]>(`SELECT version FROM \`${TABLES.migrations}\``);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const mig of MIGRATIONS) {
      if (done.has(mig.version)) continue;
      for (const sql of mig.statements) await conn.query(sql);
      await conn.query(`INSERT INTO \`${TABLES.migrations}\` (version, name) VALUES (?, ?)`, [mig.version, mig.name]);
      applied.push(mig.version);
    }
    await conn.query('SELECT RELEASE_LOCK(?)', [`pipewarden_migrate_${database}`]);
    return { database, applied, current: Math.max(0, ...MIGRATIONS.map((m) => m.version)) };
  } finally {
    await conn.end();
  }
}
