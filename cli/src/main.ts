// `pipewarden <command>`: one CLI in front of every service and tool.
import { Command, CommanderError } from 'commander';
import { registerStackCommands } from './commands/stack';
import { registerLoadCommands } from './commands/load';
import { registerDataCommands } from './commands/data';
import { registerSpecCommands } from './commands/spec';
import { registerServiceCommands, registerVerifyCommand } from './commands/services';
import { registerDemoCommand } from './commands/demo';
import { registerCompletionCommand } from './commands/completion';
import { registerPipelinesCommand } from './commands/pipelines';
import { registerDoctorCommand } from './commands/doctor';
import { fail } from './run';
// The one module of core the start-up path reads (see lazy.ts).
import { buildInfo } from '@pipewarden/core/src/version';

const program = new Command('pipewarden')
  .description('Exactly-once S3 → Spark → MySQL loading with a WAL, a Redis mirror and automatic reconciliation')
  // The revision too, so a report names the exact build; computed only when asked.
  .option('-V, --version', 'print the version and git revision')
  .on('option:version', () => {
    const { version, revision } = buildInfo();
    process.stdout.write(`pipewarden ${version} (${revision})\n`);
    process.exit(0);
  })
  .option('-c, --config <file>', 'JSON or YAML config file, with the `pipelines` if any (environment variables override it; see `pipewarden config --reference`)')
  .showHelpAfterError('(add --help for usage)')
  // Bold headings; commander drops the styling unless the stream is a colour TTY (NO_COLOR and
  // FORCE_COLOR included), and subcommands inherit it.
  .configureHelp({ styleTitle: (s) => `\x1b[1m${s}\x1b[22m`, styleSubcommandText: (s) => `\x1b[1m${s}\x1b[22m` })
  .addHelpText(
    'after',
    `
Quick start:
  $ npm run demo                 local stack, sample data, a load, a crash, the repair
  $ pipewarden up                start MariaDB, Redis, S3, Prometheus under .run/
  $ pipewarden load --source s3://nyc-parking/
  $ pipewarden reconcile --dry-run

Configuration, later wins: defaults, a --config file, a stack.env written by
\`pipewarden up\` (<PIPEWARDEN_RUN_DIR>/stack.env when the run directory is set, else the
nearest .run/stack.env upwards), PIPEWARDEN_* variables, command flags.
\`pipewarden config\` shows each value and where it came from; \`--reference\` lists them.`,
  );

// One-shot commands print their own progress and summary; their logs stay at warnings
// unless PIPEWARDEN_LOG_LEVEL asks for more. Services log every decision (info).
program.hook('preAction', (_root, cmd) => {
  if (cmd.name() !== 'serve' && cmd.name() !== 'exporter') process.env.PIPEWARDEN_LOG_LEVEL ??= 'warn';
});

registerStackCommands(program);
registerDataCommands(program);
registerSpecCommands(program);
registerLoadCommands(program);
registerServiceCommands(program);
registerVerifyCommand(program);
registerPipelinesCommand(program);
registerDoctorCommand(program);
registerDemoCommand(program);
registerCompletionCommand(program);

// A reader that stops early (`pipewarden config | head`) is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  fail(e);
});

program.exitOverride();
program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  fail(e);
});
