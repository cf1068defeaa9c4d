import type { Command } from 'commander';
import type { LoadSummary } from '@pipewarden/loader';
import { core, loader } from '../lazy';
import { PIPELINE_OPTION, action, commandConfigs, configFrom, untilSignal, type GlobalOptions } from '../run';

function printSummary(s: LoadSummary): void {
  const n = (x: number) => x.toLocaleString('en-US');
  const r = s.this_run;
  // Two columns: the whole source (earlier runs included) and what this run wrote itself.
  const row = (label: string, total: number, now: number, rest = '') => `${label.padEnd(16)}${n(total).padStart(14)}${n(now).padStart(14)}${rest}`;
  const lines = [
    ...(s.pipeline !== 'default' ? [`pipeline        ${s.pipeline}`] : []),
    `source          ${s.source} (${s.objects} object${s.objects === 1 ? '' : 's'}, engine ${s.engine})`,
    `dataset         ${s.dataset.name} → table ${s.dataset.table}`,
    `${''.padEnd(16)}${'whole source'.padStart(14)}${'this run'.padStart(14)}`,
    row('rows in', s.rows_in, r.rows_in),
    row('rows loaded', s.rows_loaded, r.rows_loaded),
    row('rows rejected', s.rows_rejected, r.rows_rejected, Object.keys(s.rejected_by_reason).length ? `  (${Object.entries(s.rejected_by_reason).map(([k, v]) => `${k} ${n(v)}`).join(', ')}; see the dead_letters table)` : ''),
    row('rows duplicate', s.rows_duplicate, r.rows_duplicate),
    `balance         ${s.balanced ? 'ok: rows in = loaded + rejected + duplicate' : 'MISMATCH — please report'}`,
    `fields nulled   ${Object.entries(s.fields_nulled).map(([k, v]) => `${k} ${n(v)}`).join(', ') || 'none'}`,
    ...Object.entries(s.columns_absent).map(([k, cols]) => `ABSENT          ${k}: its header lacks ${cols.join(', ')} (loaded as NULL)`),
    `batches         this run: ${n(r.batches_committed)} written, ${n(r.batches_skipped)} already in the ledger (${n(r.records_skipped)} records read again, nothing written)`,
    ...s.objects_reloaded.map((k) => `RELOADED        ${k}: the database held less than the checkpoint said (restored or recreated?); loaded again from its top`),
    ...(s.checkpoint_moved_aside ? [`CHECKPOINT      unusable; moved to ${s.checkpoint_moved_aside}, positions rebuilt from the ledger`] : []),
    `time            ${s.seconds.toFixed(1)} s, ${n(Math.round(s.rows_per_second))} rows/s`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

interface LoadFlags {
  source?: string;
  engine?: string;
  batchSize?: string;
  json?: boolean;
  progress?: boolean;
  migrate?: boolean;
  pipeline?: string;
  spec?: string;
  table?: string;
  watch?: string;
}

/** Configuration values from the flags (--source apart: commandConfigs and the service apply it). */
function overrides(o: LoadFlags): Record<string, unknown> {
  return { engine: o.engine, 'batch.size': o.batchSize };
}

export function registerLoadCommands(program: Command): void {
  program
    .command('load')
    .description('load a source into MySQL (and the Redis mirror) under the WAL, once, with a progress bar and a summary')
    .option('-s, --source <url>', 's3://bucket/prefix or a local file/folder (default PIPEWARDEN_SOURCE)')
    .option('-e, --engine <engine>', 'inline or spark (default PIPEWARDEN_ENGINE or inline)')
    .option('--batch-size <n>', 'input records per batch (default PIPEWARDEN_BATCH_SIZE or 5000)')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--no-progress', 'no progress bar')
    .option('--no-migrate', 'do not create/upgrade the schema first')
    .option(...PIPELINE_OPTION)
    .option('--spec <file>', 'one-off load: the dataset spec (YAML/JSON file or builtin:NAME) instead of PIPEWARDEN_DATASET; its own state (WAL folder pipelines/oneoff-<table>): run the same command again to resume or repair it')
    .option('--table <name>', 'one-off load: load into this table instead of the spec\'s')
    .option('--watch <seconds>', 'after finishing, list the source again every N seconds and load what is new, until stopped (0 = no)', '0')
    .addHelpText(
      'after',
      "\nExamples:\n  $ pipewarden load --source s3://nyc-parking/fy2014/\n  $ pipewarden load --source 's3://drops/raw/fy20*/**/*.csv.gz' --watch 60\n  $ pipewarden load --source ./data/violations.csv --json\n  $ pipewarden load --pipeline trips\n  $ pipewarden load --source ./orders.csv --spec ./orders.yaml --table orders_2026\n\nA rerun resumes from the checkpoint; a source loaded again changes nothing.\n",
    )
    .action(
      action(async (o: LoadFlags, cmd: Command) => {
        const { UserError, migrate } = core();
        const { runLoad, createProgressBar } = loader();
        // The pipeline named by --pipeline, or a one-off (--spec/--table); --source applied there.
        const [config] = commandConfigs(cmd.optsWithGlobals() as GlobalOptions, o, { overrides: overrides(o) }).configs;
        if (o.migrate !== false) await migrate(config, { pipeline: config.pipeline, indexesAtLoadEnd: true });
        const bar = createProgressBar(o.progress !== false && !o.json && process.stderr.isTTY === true);
        const ctl = new AbortController();
        let interrupted = false;
        const onSignal = () => {
          if (interrupted) process.exit(130);
          interrupted = true;
          process.stderr.write('\nstopping after the batches in flight (Ctrl-C again to quit at once; a rerun resumes)\n');
          ctl.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const watch = Number(o.watch ?? 0);
        if (!Number.isFinite(watch) || watch < 0) throw new UserError(`--watch needs a number of seconds, got "${o.watch}"`);
        try {
          // With --watch, one run per round: each lists the source again; what is done is skipped.
          for (;;) {
            const summary = await runLoad(config, { signal: ctl.signal, onProgress: (p) => bar.update(p) });
            bar.stop();
            if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
            else printSummary(summary);
            if (!summary.balanced) process.exitCode = 3;
            if (watch === 0 || interrupted) break;
            await new Promise<void>((r) => {
              const t = setTimeout(r, watch * 1000);
              ctl.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
            });
            if (interrupted) break;
          }
        } catch (e) {
          bar.stop();
          if (interrupted) throw new UserError('load interrupted; run the same command again to resume from the checkpoint');
          throw e;
        }
      }),
    );

  const service = program.command('loader').description('the loader as a service');
  service
    .command('serve')
    .description("run the loader, every pipeline of the config file's `pipelines` at once, with its control API (GET /status, POST /pause|/resume|/restart [?pipeline=NAME], /healthz, /readyz, /metrics)")
    .option('-s, --source <url>', 's3://bucket/prefix or a local path (default PIPEWARDEN_SOURCE; pipelines name their own)')
    .option('-e, --engine <engine>', 'inline or spark')
    .option('--watch <seconds>', 'after finishing, look for new objects every N seconds (0 = no)', '0')
    .option('--no-migrate', 'do not create/upgrade the schema first')
    .addHelpText('after', '\nExample:\n  $ PIPEWARDEN_TOKEN_FILE=/etc/pipewarden/token pipewarden loader serve --source s3://nyc-parking/ --watch 60\n')
    .action(
      action(async (o: LoadFlags & { watch: string }, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions, { ...overrides(o), source: o.source });
        // Every pipeline's table: the service runs them all.
        if (o.migrate !== false) await core().migrate(config, { indexesAtLoadEnd: true });
        const svc = await loader().startLoaderService(config, { source: o.source, watchSeconds: Number(o.watch) });
        const sig = await untilSignal();
        svc.service.log.info('shutting down', { signal: sig });
        await svc.close();
      }),
    );
}
