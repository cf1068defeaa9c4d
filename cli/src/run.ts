// How every command ends: user errors as one clear message (no stack), bugs with their
// stack, and an exit code scripts can rely on.
import { createHash } from 'node:crypto';
import type { Config, LoadedConfig } from '@pipewarden/core';
import { core } from './lazy';

export interface GlobalOptions {
  config?: string;
}

/** The configuration and where each value came from (`pipewarden config` shows both). */
export function loadedConfigFrom(opts: GlobalOptions, overrides: Record<string, unknown> = {}): LoadedConfig {
  return core().loadConfigWithSources({ file: opts.config, overrides });
}

export function configFrom(opts: GlobalOptions, overrides: Record<string, unknown> = {}): Config {
  return loadedConfigFrom(opts, overrides).config;
}

/** The flags that choose what a command works on (load, verify). */
export interface SelectionFlags {
  pipeline?: string;
  spec?: string;
  table?: string;
  source?: string;
}

/**
 * The Configs a command works on:
 * - a one-off (--spec and/or --table): that dataset and table as a pipeline of its own
 *   (oneOffConfig), whatever `pipelines` the config file declares;
 * - with `every`, no --pipeline and a config file with `pipelines`: every one of them, in
 *   turn (`several`: the output names them);
 * - else the one pipeline: `--pipeline NAME`, else PIPEWARDEN_PIPELINE, else `default` (a
 *   config file whose pipelines have no `default` then gets a UserError naming them).
 * --source, when given, replaces each one's source (a pipeline's own source otherwise wins).
 * `overrides` are further configuration values (engine, batch size).
 */
export function commandConfigs(globals: GlobalOptions, o: SelectionFlags, opts: { every?: boolean; overrides?: Record<string, unknown> } = {}): { configs: Config[]; several: boolean } {
  const { UserError, pipelineConfig, allPipelineConfigs } = core();
  const oneOff = o.spec !== undefined || o.table !== undefined;
  if (oneOff && o.pipeline !== undefined) throw new UserError('--spec and --table make a one-off load (a pipeline of its own, oneoff-<table>); they do not combine with --pipeline', ONE_OFF_HINT);
  const config = configFrom(globals, { ...opts.overrides, pipeline: oneOff ? undefined : o.pipeline, dataset: o.spec, table: o.table });
  const several = !oneOff && opts.every === true && o.pipeline === undefined && (config.pipelines?.length ?? 0) > 0;
  const configs = oneOff ? [oneOffConfig(config)] : several ? allPipelineConfigs(config) : [pipelineConfig(config)];
  return { configs: o.source === undefined ? configs : configs.map((c) => ({ ...c, source: o.source })), several };
}

/**
 * A one-off load's pipeline (`--spec FILE` and/or `--table T`): its own state — WAL and
 * checkpoint folder, mirror keys, batch ids, ledger rows — named after its table, so one
 * object loaded into two tables loads both (under `default`, the second table's load would
 * find the first one's batches in the ledger and load nothing). Rerunning the same command
 * resumes and repairs it; it is not one of the config file's pipelines, so the services do
 * not run it.
 */
function oneOffConfig(config: Config): Config {
  const { datasetOf, pipelineConfig } = core();
  const table = datasetOf(config).table;
  const name = `oneoff-${table}`.length <= 32 ? `oneoff-${table}` : `oneoff-${table.slice(0, 16)}-${createHash('sha256').update(table).digest('hex').slice(0, 8)}`;
  return pipelineConfig({ ...config, pipelines: [{ name, source: config.source ?? '', dataset: config.dataset, table, engine: config.engine }], pipeline: name });
}

const ONE_OFF_HINT = "give the pipeline its spec and table in the config file's `pipelines` instead";

export const PIPELINE_OPTION = ['--pipeline <name>', 'the pipeline of the config file\'s `pipelines` to work on (default PIPEWARDEN_PIPELINE, else `default`; `pipewarden pipelines` lists them)'] as const;

export function fail(e: unknown): never {
  if (e instanceof core().UserError) {
    process.stderr.write(`pipewarden: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    process.exit(1);
  }
  const err = e as Error & { code?: string };
  const known: Record<string, string> = {
    ECONNREFUSED: 'a service refused the connection — is it running? (`pipewarden status`)',
    ER_ACCESS_DENIED_ERROR: 'MySQL refused the credentials in PIPEWARDEN_MYSQL_URL',
    ER_BAD_DB_ERROR: 'the database does not exist yet — run `pipewarden migrate`',
    ER_NO_SUCH_TABLE: 'the schema is missing — run `pipewarden migrate`',
    EADDRINUSE: 'the listen address is in use — another instance running? change the *_LISTEN variable',
    ENOSPC: 'a disk is full (usually the WAL folder\'s, PIPEWARDEN_WAL_DIR): free space and run again; a load resumes from its checkpoint',
  };
  if (err?.code && known[err.code]) {
    process.stderr.write(`pipewarden: ${err.message}\n  hint: ${known[err.code]}\n`);
    process.exit(1);
  }
  process.stderr.write(`pipewarden: unexpected error: ${err?.message ?? String(e)}\n`);
  if (process.env.PIPEWARDEN_DEBUG) process.stderr.write(`${err?.stack}\n`);
  else process.stderr.write('  (set PIPEWARDEN_DEBUG=1 for the stack trace, and please report it)\n');
  process.exit(70);
}

/** Run an async action, turning its failure into a clean exit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      fail(e);
    }
  };
}

/** Resolve on SIGINT/SIGTERM (graceful shutdown of services). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
