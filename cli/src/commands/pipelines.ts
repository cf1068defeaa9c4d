// `pipewarden pipelines`: the deployment's pipelines as the configuration defines them —
// what each loads (source, dataset, table, engine) and where its state lives (WAL folder).
import type { Command } from 'commander';
import { core } from '../lazy';
import { action, configFrom, type GlobalOptions } from '../run';

interface PipelineRow {
  name: string;
  dataset: string;
  table: string;
  source: string;
  engine: string;
  wal: string;
}

export function registerPipelinesCommand(program: Command): void {
  program
    .command('pipelines')
    .description("list the pipelines (the config file's `pipelines`, else the one `default` pipeline): dataset, table, source, engine, WAL folder")
    .option('--json', 'print them as a JSON array')
    .addHelpText('after', '\nExample:\n  $ pipewarden --config pipewarden.yaml pipelines\n')
    .action(
      action(async (o: { json?: boolean }, cmd: Command) => {
        const { allPipelineConfigs, datasetOf } = core();
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const rows: PipelineRow[] = allPipelineConfigs(config).map((c) => {
          const spec = datasetOf(c);
          return { name: c.pipeline, dataset: spec.name, table: spec.table, source: c.source ?? '', engine: c.engine, wal: c.wal.dir };
        });
        if (o.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        const table = [['pipeline', 'dataset', 'table', 'source', 'engine', 'wal'], ...rows.map((r) => [r.name, r.dataset, r.table, r.source || '(unset)', r.engine, r.wal])];
        const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
        process.stdout.write(table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n');
      }),
    );
}
