// `npm run demo`: the product's promise, end to end, on this machine. A local stack, the
// real sample plus generated rows in an S3 bucket, the loader, exporter and reconciler
// running as services; MariaDB is SIGKILLed mid-load and restarted; the watchdog repairs
// and restarts the loader; the table is then proven equal to the source.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger } from '@pipewarden/core';
import { Stack, REPO_ROOT, sleep } from '@pipewarden/stack';
import { createProgressBar, createS3Client, generate, putFile, startLoaderService, verifyTable } from '@pipewarden/loader';
import { startReconcilerService } from '@pipewarden/reconciler';
import { startExporter } from '@pipewarden/exporter';
import { UserError } from '@pipewarden/core';
import { untilSignal } from './run';

const SAMPLE = join(REPO_ROOT, 'data', 'nyc-parking-fy2014-sample.csv');

interface DemoOptions {
  rows: string;
  exitAfterLoad?: boolean;
  dir: string;
  crash: boolean;
}

const say = (s: string) => process.stdout.write(`${s}\n`);
// Node's hasColors() honours NO_COLOR, FORCE_COLOR and TERM=dumb.
const bold = (s: string) => (process.stdout.isTTY && process.stdout.hasColors() ? `\x1b[1m${s}\x1b[0m` : s);

/** @public required lazily (./lazy.ts demo()) by the demo command */
export async function runDemo(o: DemoOptions): Promise<void> {
  const rows = Number(o.rows);
  if (!Number.isInteger(rows) || rows < 0) throw new UserError(`--rows must be a non-negative integer, got "${o.rows}"`);
  const log = createLogger('demo');
  const dir = resolve(o.dir);
  say(bold('pipewarden demo') + ` — stack in ${dir}`);
  const stack = await Stack.create({ dir, preferDefaultPorts: true, prometheusInterval: '5s' });
  await stack.start((n) => say(`  started ${n}`));
  // Short watchdog interval: the demo's crash should be noticed at once.
  const config = stack.config({ 'reconciler.watchdogIntervalSeconds': 0.5, 'mirror.retentionBatches': 400 });
  await stack.resetData(config); // the demo starts from an empty pipeline, so its proof means something

  // Data: the real sample and generated rows, staged in the bucket like a user would.
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const generated = join(dataDir, `generated-${rows}.csv`);
  if (rows > 0 && !existsSync(generated)) {
    say(`  generating ${rows.toLocaleString('en-US')} synthetic rows`);
    await generate(generated, { rows, seed: 2014, badShare: 0.005 });
  }
  const s3 = createS3Client(config);
  const bucket = stack.layout.bucket;
  await putFile(s3, SAMPLE, `s3://${bucket}/fy2014/00-sample.csv`);
  if (rows > 0) await putFile(s3, generated, `s3://${bucket}/fy2014/01-generated.csv`);
  s3.destroy();
  const source = `s3://${bucket}/fy2014/`;
  say(`  staged ${source}`);

  const exporter = await startExporter(config, { log: log.child('exporter') });
  const reconciler = await startReconcilerService(config, { log: log.child('reconciler') });
  const loader = await startLoaderService(config, { source, log: log.child('loader') });
  const stopAll = async () => {
    for (const [name, service] of [['loader', loader], ['reconciler', reconciler], ['exporter', exporter]] as const) {
      await service.close().catch((e: unknown) => log.warn(`stopping the ${name} failed`, { error: (e as Error).message }));
    }
  };
  say(`  loader ${loader.url}  reconciler ${reconciler.url}  exporter ${exporter.url}/metrics`);

  const bar = createProgressBar(process.stderr.isTTY === true);
  let crashed = !o.crash;
  let crashAt = 0;
  for (;;) {
    const st = loader.service.status();
    bar.update({ state: st.state, rowsIn: st.rowsIn, rowsLoaded: st.rowsLoaded, rowsRejected: st.rowsRejected, rowsDuplicate: st.rowsDuplicate, bytesRead: st.bytesRead, bytesTotal: st.bytesTotal, startedAt: Date.parse(st.startedAt ?? new Date().toISOString()) });
    if (!crashed && st.bytesTotal > 0 && st.bytesRead > st.bytesTotal * 0.4) {
      crashed = true;
      crashAt = st.rowsIn;
      bar.stop();
      say(bold(`\n  ✖ SIGKILL MariaDB at ${st.rowsIn.toLocaleString('en-US')} rows (mid-load)`));
      await stack.mariadb.kill();
      await sleep(1500);
      say('  ↻ restarting MariaDB on the same data directory');
      await stack.mariadb.start();
      say('  the watchdog notices, reconciles from the WAL and the Redis mirror, and restarts the loader…');
    }
    const job = reconciler.service.jobs.current;
    if (st.state === 'finished' && !job && crashed) break;
    if (st.state === 'failed') {
      bar.stop();
      await stopAll();
      throw new UserError(`the load failed: ${st.lastError}`);
    }
    await sleep(250);
  }
  bar.stop();
  await reconciler.service.jobs.idle();

  const runs = await reconciler.service.runs(5);
  const repair = runs.find((r) => r.trigger === 'watchdog');
  const v = await verifyTable(config, source);
  const n = (x: number) => x.toLocaleString('en-US');
  say('\n' + bold('Summary'));
  say(`  rows in source           ${n(v.sourceRecords)}  (${n(v.sourceDistinctKeys)} distinct summons numbers kept, ${n(v.sourceRejected)} rejected to dead letters)`);
  say(`  rows in MySQL            ${n(v.tableRows)}`);
  say(`  dead letters             ${n(v.deadLetters)}`);
  if (o.crash) say(`  crash                    MariaDB SIGKILLed at ${n(crashAt)} rows; ${repair ? `watchdog reconcile ${repair.outcome}, ${n(repair.rowsInserted)} rows repaired in ${(repair.durationSeconds ?? 0).toFixed(2)} s` : 'no repair was needed'}`);
  say(`  rows lost                ${v.lost}`);
  say(`  rows duplicated          ${v.duplicated + v.unexpected}`);
  say(`  values differing         ${v.mismatched}`);
  if (v.notFirst > 0) say(`  later occurrence kept    ${v.notFirst}`);
  say(`  source = MySQL           ${v.ok ? 'yes' : 'NO'}`);
  say('\n' + bold('Where to look'));
  say(`  exporter     ${exporter.url}/metrics`);
  say(`  reconciler   ${reconciler.url}/status   (Authorization: Bearer $PIPEWARDEN_TOKEN from ${join(dir, 'stack.env')})`);
  say(`  loader       ${loader.url}/status`);
  if (stack.prometheus) say(`  prometheus   ${stack.prometheus.url}/graph?g0.expr=pipewarden_rows_loaded_total`);
  if (stack.alertmanager) say(`  alertmanager ${stack.alertmanager.url}`);
  say(`  MySQL        mariadb -h127.0.0.1 -P${stack.layout.ports.mariadb} -uroot pipewarden -e 'SELECT COUNT(*) FROM violations'`);
  say(`  any command  set -a; . ${join(dir, 'stack.env')}; set +a; npx pipewarden status`);

  if (!v.ok) {
    await stopAll();
    throw new UserError(`verification failed: ${v.lost} lost, ${v.unexpected} unexpected, ${v.mismatched} differing, ${v.notFirst} later occurrences kept, ${v.duplicated} duplicated`);
  }
  if (o.exitAfterLoad) {
    await stopAll();
    await stack.stop();
    return;
  }
  say('\nservices keep running; Ctrl-C stops everything');
  await untilSignal();
  say('stopping…');
  await stopAll();
  await stack.stop();
}
