import { Option, type Command } from 'commander';
import { core, loader, progress, s3 as s3sdk } from '../lazy';
import { PIPELINE_OPTION, action, configFrom, loadedConfigFrom, type GlobalOptions } from '../run';

function positiveInt(name: string, v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new (core().UserError)(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

export function registerDataCommands(program: Command): void {
  program
    .command('migrate')
    .description("create pipewarden's tables and every pipeline's dataset table from its spec (the one dataset without a config file's `pipelines`); when a spec gained columns or widened one, alter its table (never dropping, narrowing or re-keying: such a change is refused with the reason); re-running is a no-op")
    .option('--dry-run', 'print the statements a real run would execute, execute none')
    .option(PIPELINE_OPTION[0], "only this pipeline's table (pipewarden's own tables are migrated either way)")
    .addHelpText('after', '\nExamples:\n  $ pipewarden migrate\n  $ PIPEWARDEN_DATASET=./specs/trips.yaml pipewarden migrate --dry-run\n  $ pipewarden migrate --pipeline trips\n')
    .action(
      action(async (o: { dryRun?: boolean; pipeline?: string }, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const r = await core().migrate(config, { dryRun: o.dryRun === true, pipeline: o.pipeline });
        const out = (s: string) => process.stdout.write(`${s}\n`);
        // A pipeline is named only when the deployment has several (or one was asked for).
        const named = (t: { pipeline: string }) => (config.pipelines?.length || o.pipeline ? ` (pipeline ${t.pipeline})` : '');
        if (r.dryRun) {
          const tables = r.datasets.map((t) => `dataset ${t.spec}, table ${t.table}${named(t)}`).join('; ');
          out(r.dryRun.length ? `-- ${r.database}: statements migrate would execute (${tables})` : `-- ${r.database} and table(s) ${r.datasets.map((t) => t.table).join(', ')} are up to date; nothing to execute`);
          for (const sql of r.dryRun) out(`${sql};`);
          for (const t of r.datasets) for (const n of t.notes) out(`-- note: ${t.table}: ${n}`);
          return;
        }
        out(r.applied.length ? `applied migration(s) ${r.applied.join(', ')} to ${r.database}` : `${r.database} is up to date (version ${r.current})`);
        for (const t of r.datasets) {
          if (t.created) out(`created table ${t.table} from ${t.spec}${named(t)}`);
          else if (t.changes.length === 0) out(`table ${t.table} matches ${t.spec}${named(t)}`);
          for (const c of t.changes.filter((x) => !x.what.startsWith('create table'))) out(`altered ${t.table}: ${c.what}${c.algorithm ? ` (ALGORITHM=${c.algorithm})` : ''}`);
          for (const n of t.notes) out(`note: ${n}`);
        }
      }),
    );

  program
    .command('generate')
    .description('write a synthetic CSV for a dataset spec (default: NYC parking violations, with the real data\'s shapes and oddities), deterministic by seed')
    .requiredOption('-n, --rows <n>', 'number of data rows')
    .requiredOption('-o, --out <file>', 'CSV file to write')
    .option('--dataset <spec>', 'the dataset spec: a YAML/JSON file or builtin:NAME (default PIPEWARDEN_DATASET, else builtin:nyc-parking-violations)')
    .option('--bad-share <x>', 'share of rows that cannot be kept (dead letters)', '0.01')
    .option('--duplicate-share <x>', 'share of rows repeating an earlier key', '0.001')
    .option('--odd-share <x>', 'share of optional cells holding an invalid value (loaded as NULL; default 0.005, 0 with a realism profile)')
    .option('--empty-share <x>', 'share of optional cells left empty (default 0.05, 0 with a realism profile)')
    .option('--no-profile', 'generic values only, even for a dataset with a realism profile (NYC has one)')
    .option('--seed <n>', 'random seed', '1')
    .option('--kaggle', 'add the spec\'s known extra columns, empty (NYC: the Kaggle export\'s 8 geographic columns)')
    .option('--crlf', 'CRLF line endings')
    .addOption(new Option('--key-order <order>', 'order of the keys: source-like (runs of ascending keys, like the real NYC export) or shuffled (a different place in the key space for every row)').choices(['source-like', 'shuffled']).default('source-like'))
    .addHelpText('after', '\nExamples:\n  $ pipewarden generate --rows 1000000 --out /tmp/violations-1m.csv --seed 7\n  $ pipewarden generate --dataset orders.yaml --rows 50000 --out /tmp/orders.csv --bad-share 0.02\n')
    .action(
      action(async (o: { rows: string; out: string; dataset?: string; badShare: string; duplicateShare: string; oddShare?: string; emptyShare?: string; profile: boolean; seed: string; kaggle?: boolean; crlf?: boolean; keyOrder: 'source-like' | 'shuffled' }, cmd: Command) => {
        const rows = positiveInt('--rows', o.rows);
        const share = (name: string, v: string | undefined): number | undefined => {
          if (v === undefined) return undefined;
          const x = Number(v);
          if (!(x >= 0 && x <= 1)) throw new (core().UserError)(`${name} must be a share between 0 and 1, got "${v}"`);
          return x;
        };
        const spec = core().readSpec(o.dataset ?? configFrom(cmd.optsWithGlobals() as GlobalOptions).dataset);
        const { SingleBar, Presets } = progress();
        const bar = process.stderr.isTTY ? new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} rows | ETA {eta_formatted}', stream: process.stderr }, Presets.shades_classic) : undefined;
        bar?.start(rows, 0);
        const opts = {
          spec,
          rows,
          seed: positiveInt('--seed', o.seed),
          badShare: share('--bad-share', o.badShare),
          duplicateShare: share('--duplicate-share', o.duplicateShare),
          oddShare: share('--odd-share', o.oddShare),
          emptyShare: share('--empty-share', o.emptyShare),
          profile: o.profile,
          kaggle: o.kaggle,
          crlf: o.crlf,
          keyOrder: o.keyOrder,
        };
        const stats = await loader().generate(o.out, opts, (n) => bar?.update(n));
        bar?.stop();
        const keyed = spec.key.length ? `, ${stats.duplicates} duplicate keys` : '';
        process.stdout.write(`wrote ${o.out}: ${stats.rows.toLocaleString('en-US')} ${spec.name} rows (${stats.bad} bad${keyed}, ${stats.oddities} invalid optional values), ${(stats.bytes / 1e6).toFixed(1)} MB\n`);
      }),
    );

  const s3 = program.command('s3').description('stage data in S3 (or MinIO, or the local stack\'s S3 server)');
  s3.command('put')
    .description('upload a file (multipart when large); creates the bucket if missing')
    .argument('<file>', 'local file')
    .argument('<url>', 's3://bucket/key (a trailing / keeps the file name)')
    .addHelpText('after', '\nExample:\n  $ pipewarden s3 put violations.csv s3://nyc-parking/fy2014/\n')
    .action(
      action(async (file: string, url: string, _o: unknown, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const { createS3Client, putFile } = loader();
        const client = createS3Client(config);
        try {
          const r = await putFile(client, file, url);
          process.stdout.write(`uploaded ${r.url} (${r.bytes.toLocaleString('en-US')} bytes, ETag ${r.etag})\n`);
        } finally {
          client.destroy();
        }
      }),
    );
  s3.command('ls')
    .description('list objects under a prefix')
    .argument('<url>', 's3://bucket/prefix')
    .action(
      action(async (url: string, _o: unknown, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const { createS3Client, parseS3Url, explainS3Error } = loader();
        const { ListObjectsV2Command } = s3sdk();
        const client = createS3Client(config);
        const { bucket, prefix } = parseS3Url(url);
        try {
          const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix })).catch((e) => {
            throw explainS3Error(e, `listing ${url}`);
          });
          for (const o of res.Contents ?? []) process.stdout.write(`${String(o.Size).padStart(12)}  ${o.LastModified?.toISOString()}  s3://${bucket}/${o.Key}\n`);
        } finally {
          client.destroy();
        }
      }),
    );

  program
    .command('config')
    .description('show the effective configuration and where each value came from (secrets hidden), or every variable with --reference')
    .option('--reference', 'list every environment variable, its default and meaning (markdown)')
    .option('--json', 'print {config, sources} as JSON')
    .addHelpText('after', '\nExample:\n  $ PIPEWARDEN_RUN_DIR=/srv/stack-b pipewarden config\n\nSources: default, config file <path>, environment, <path of a stack.env>, flag.\n')
    .action(
      action(async (o: { reference?: boolean; json?: boolean }, cmd: Command) => {
        const { VARIABLES, redactedConfig } = core();
        if (o.reference) {
          process.stdout.write('| variable | default | meaning |\n|---|---|---|\n');
          for (const v of VARIABLES) process.stdout.write(`| \`${v.env}\` | ${v.default !== undefined ? `\`${v.default}\`` : '—'} | ${v.description} |\n`);
          return;
        }
        const { config, sources } = loadedConfigFrom(cmd.optsWithGlobals() as GlobalOptions);
        const shown = redactedConfig(config);
        if (o.json) {
          process.stdout.write(JSON.stringify({ config: shown, sources }, null, 2) + '\n');
          return;
        }
        const rows = VARIABLES.map((v) => {
          const value = v.path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], shown);
          return [v.env, value === undefined ? '(unset)' : Array.isArray(value) ? value.join(',') : String(value), sources[v.path] ?? '—'];
        });
        const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
        process.stdout.write([['variable', 'value', 'source'], ...rows].map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}\n`).join(''));
      }),
    );
}
