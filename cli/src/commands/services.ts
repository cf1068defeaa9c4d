import type { Command } from 'commander';
import type { ReconcileReport } from '@pipewarden/core';
import { core, exporter, loader, reconciler } from '../lazy';
import type { VerifyReport } from '@pipewarden/loader';
import { PIPELINE_OPTION, action, commandConfigs, configFrom, untilSignal, type GlobalOptions } from '../run';

function printReport(r: ReconcileReport): void {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    ...(r.pipeline !== null && r.pipeline !== undefined && r.pipeline !== 'default' ? [`pipeline        ${r.pipeline}`] : []),
    ...(r.pipeline === null ? [`pipelines       ${(r.pipelines ?? []).map((p) => `${p.pipeline}: ${p.outcome}`).join(', ')}`] : []),
    `run             ${r.runId}${r.dryRun ? ' (dry run: nothing written)' : ''}`,
    `batches         ${n(r.batchesExamined)} examined, ${n(r.dryRun ? r.batches.length : r.batchesRepaired)} ${r.dryRun ? 'would be repaired' : 'repaired'}`,
    `rows missing    ${n(r.rowsMissing)}`,
    `rows inserted   ${n(r.rowsInserted)}`,
    `verification    ${r.verification}`,
    `outcome         ${r.outcome}${r.loaderRestarted ? ' (loader restarted)' : ''}`,
    ...(r.loaderError ? [`loader          ${r.loaderError}`] : []),
    `duration        ${r.durationSeconds.toFixed(2)} s`,
  ];
  for (const b of r.batches.slice(0, 20)) lines.push(`  ${b.batchId}  from ${b.source.padEnd(6)}  missing ${n(b.rowsMissing)}  inserted ${n(b.rowsInserted)}`);
  if (r.batches.length > 20) lines.push(`  … ${r.batches.length - 20} more`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerServiceCommands(program: Command): void {
  program
    .command('reconcile')
    .description('compare the WAL, the Redis mirror and MySQL; insert exactly the missing rows; restart the loader')
    .option('--dry-run', 'report the difference without writing anything')
    .option('--json', 'print the report as JSON')
    .option('--wait-mysql <seconds>', 'how long to wait for MySQL to answer', '600')
    .option(PIPELINE_OPTION[0], 'reconcile only this pipeline (default: every pipeline, one after the other)')
    .addHelpText('after', '\nExamples:\n  $ pipewarden reconcile --dry-run\n  $ pipewarden reconcile --json\n  $ pipewarden reconcile --pipeline trips\n')
    .action(
      action(async (o: { dryRun?: boolean; json?: boolean; waitMysql: string; pipeline?: string }, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const log = core().createLogger('reconcile');
        const report = await reconciler().reconcile(config, {
          pipeline: o.pipeline,
          dryRun: o.dryRun,
          trigger: 'cli',
          log,
          mysqlWaitSeconds: Number(o.waitMysql),
          onProgress: (p) => {
            if (!o.json && process.stderr.isTTY) process.stderr.write(`\r  ${p.phase.padEnd(15)} ${p.batchesDone}/${p.batchesTotal} batches, ${p.rowsInserted} rows inserted   `);
          },
        });
        if (!o.json && process.stderr.isTTY) process.stderr.write('\n');
        if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
        else printReport(report);
        if (report.outcome === 'failed') process.exitCode = 1;
      }),
    );

  const rec = program.command('reconciler').description('the reconciler as a service');
  rec
    .command('serve')
    .description('reconcile API (POST /reconcile, GET /reconcile/:id, /runs, /status), Alertmanager receiver, watchdog')
    .option('--no-watchdog', 'do not reconcile automatically when MySQL comes back')
    .addHelpText('after', '\nExample:\n  $ PIPEWARDEN_TOKEN_FILE=/etc/pipewarden/token pipewarden reconciler serve\n')
    .action(
      action(async (o: { watchdog: boolean }, cmd: Command) => {
        const { createLogger, errorMessage, isConnectionError, migrate } = core();
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        try {
          // A table an interrupted initial load left without its secondary indexes gets them
          // when a load finishes (deferred-indexes.ts), not from the reconciler's start.
          await migrate(config, { indexesAtLoadEnd: true });
        } catch (e) {
          // MySQL may be down now: the service starts anyway and its watchdog waits for MySQL.
          if (!isConnectionError(e)) throw e;
          createLogger('reconciler').warn('MySQL is not reachable; starting without checking the schema', { error: errorMessage(e) });
        }
        const svc = await reconciler().startReconcilerService(config, { watchdog: o.watchdog === false ? false : undefined });
        const sig = await untilSignal();
        svc.service.log.info('shutting down', { signal: sig });
        await svc.close();
      }),
    );

  program
    .command('exporter')
    .description('the Prometheus exporter: pipeline state at scrape time on /metrics (default 127.0.0.1:9841)')
    .option('--listen <host:port>', 'listen address (default PIPEWARDEN_EXPORTER_LISTEN)')
    .addHelpText('after', '\nExample:\n  $ pipewarden exporter --listen 127.0.0.1:9841 && curl -s 127.0.0.1:9841/metrics | grep pipewarden_up\n')
    .action(
      action(async (o: { listen?: string }, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const h = await exporter().startExporter(config, { listen: o.listen });
        await untilSignal();
        await h.close();
      }),
    );
}

function printVerify(r: VerifyReport, several: boolean): void {
  process.stdout.write(
    [
      ...(several ? [`pipeline          ${r.pipeline} (table ${r.table})`] : []),
      `source rows       ${r.sourceRecords} (${r.sourceDistinctKeys} distinct keys kept, ${r.sourceRejected} rejected)`,
      `table rows        ${r.tableRows}`,
      `dead letters      ${r.deadLetters}`,
      `lost              ${r.lost}${r.sampleLost.length ? ` (e.g. ${r.sampleLost.join(', ')})` : ''}`,
      `unexpected        ${r.unexpected}`,
      `values differing  ${r.mismatched}`,
      `later occurrence  ${r.notFirst} (a repeated key kept with a later row than its first)`,
      `duplicated        ${r.duplicated}`,
      `result            ${r.ok ? 'source = table' : 'DIFFERENT'}`,
    ].join('\n') + '\n',
  );
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('prove the table equals the source: same keys, same values, no duplicates, rejected rows in dead letters (every pipeline of the config file in turn, or --pipeline)')
    .option('-s, --source <url>', 's3://bucket/prefix or a local path (default PIPEWARDEN_SOURCE, or the pipeline\'s)')
    .option('--json', 'print the report as JSON (an array of reports when several pipelines are verified)')
    .option(...PIPELINE_OPTION)
    .option('--spec <file>', 'verify a one-off load (`load --spec … --table …`): its spec')
    .option('--table <name>', 'verify a one-off load: its table')
    .addHelpText('after', '\nExample:\n  $ pipewarden verify --source s3://nyc-parking/fy2014/\n  $ pipewarden verify --pipeline trips\n  $ pipewarden verify --source ./orders.csv --spec ./orders.yaml --table orders_2026\n\nReads the whole source again and the whole table: meant for audits, not every load.\n')
    .action(
      action(async (o: { source?: string; json?: boolean; pipeline?: string; spec?: string; table?: string }, cmd: Command) => {
        // Without --pipeline, a config file's pipelines are verified one after the other.
        const { configs, several } = commandConfigs(cmd.optsWithGlobals() as GlobalOptions, o, { every: true });
        const reports: VerifyReport[] = [];
        for (const pc of configs) reports.push(await loader().verifyTable(pc, pc.source ?? ''));
        if (o.json) process.stdout.write(JSON.stringify(several ? reports : reports[0]) + '\n');
        else reports.forEach((r, i) => {
          if (i > 0) process.stdout.write('\n');
          printVerify(r, several);
        });
        if (reports.some((r) => !r.ok)) process.exitCode = 1;
      }),
    );
}
