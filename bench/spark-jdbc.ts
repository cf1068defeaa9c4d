// The baseline pipewarden replaces: the original 2018 pipeline's Spark job, which reads the
// CSV and appends it to MySQL with Spark's JDBC writer (bench/jdbc_baseline.py). Used by the
// benchmark (bench/spark.ts) and by the test that shows its duplicates on a rerun (bench code,
// not the product's).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, datasetOf, parseMysqlUrl, type Config, type Logger } from '@pipewarden/core';
import { REPO_ROOT, resolveSparkTools, runSparkJob, writeSpecFile } from '../loader/src/engine/spark/process';

/** MariaDB Connector/J from Debian's libmariadb-java (installed by scripts/bootstrap.sh). */
const MARIADB_JDBC_JAR = process.env.PIPEWARDEN_JDBC_JAR ?? '/usr/share/java/mariadb-java-client.jar';
const JDBC_BASELINE_PY = join(REPO_ROOT, 'bench', 'jdbc_baseline.py');

/**
 * The jdbc:mysql: scheme, not jdbc:mariadb:, on purpose: Spark picks its SQL dialect by URL
 * prefix and only jdbc:mysql gets MySQLDialect (backquoted names); Connector/J 2.x takes both.
 */
function jdbcUrl(config: Config): string {
  const t = parseMysqlUrl(config.mysql.url, config.mysql.password);
  return `jdbc:mysql://${t.host}:${t.port}/${t.database}`;
}

export interface JdbcBaselineOptions {
  input: string;
  table: string;
  log: Logger;
  signal?: AbortSignal;
}

/** Run the 2018 method once: Spark CSV reader → JDBC append. Resolves with its wall time in seconds. */
export async function runSparkJdbcBaseline(config: Config, opts: JdbcBaselineOptions): Promise<number> {
  if (!existsSync(MARIADB_JDBC_JAR)) {
    throw new UserError(`MariaDB Connector/J not found at ${MARIADB_JDBC_JAR}`, 'apt-get install libmariadb-java (scripts/bootstrap.sh does), or set PIPEWARDEN_JDBC_JAR');
  }
  const t = parseMysqlUrl(config.mysql.url, config.mysql.password);
  // The dataset's columns, by header name as the loader maps them (resolved spec, --spec).
  const spec = writeSpecFile(join(config.runDir, 'spark', `jdbc-baseline-${process.pid}.json`), datasetOf(config));
  const started = Date.now();
  await runSparkJob({
    tools: resolveSparkTools(config),
    master: config.spark.master,
    script: JDBC_BASELINE_PY,
    submitArgs: ['--jars', MARIADB_JDBC_JAR, '--driver-class-path', MARIADB_JDBC_JAR],
    jobArgs: ['--spec', spec, '--input', opts.input, '--url', jdbcUrl(config), '--user', t.user, '--table', opts.table],
    env: t.password ? { PIPEWARDEN_MYSQL_PASSWORD: t.password } : {},
    log: opts.log,
    signal: opts.signal ?? new AbortController().signal,
  });
  return (Date.now() - started) / 1000;
}
