import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Stack } from '@pipewarden/stack';
import type { Config, LoaderStatus } from '@pipewarden/core';
import { core, stack as stackModule } from '../lazy';
import { action, configFrom, type GlobalOptions } from '../run';

function defaultRunDir(): string {
  return resolve(process.env.PIPEWARDEN_RUN_DIR ?? resolve(process.cwd(), '.run'));
}

/** How later commands find this stack.env: a `.run/stack.env` in their folder or one above it, else only through PIPEWARDEN_RUN_DIR. */
function findsIt(dir: string): string {
  return basename(resolve(dir)) === '.run' ? `every pipewarden command run below ${resolve(dir, '..')} finds it` : `set PIPEWARDEN_RUN_DIR=${resolve(dir)}`;
}

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start the local stack under .run/: MariaDB, Redis, an S3 server, and Prometheus + Alertmanager where installed')
    .option('--dir <dir>', 'stack folder', defaultRunDir())
    .addHelpText('after', '\nExample:\n  $ npx pipewarden up && set -a && . .run/stack.env && set +a\n')
    .action(
      action(async (opts: { dir: string }) => {
        const { Stack, serverSizing } = stackModule();
        // MariaDB sized for bulk loads on this machine (server-sizing.ts); a stack created
        // before keeps its own sizing (stack.json).
        const sizing = serverSizing();
        const stack = await Stack.create({ dir: opts.dir, preferDefaultPorts: true, bufferPool: sizing.bufferPool, mariadbSettings: sizing.settings });
        await stack.start((name) => process.stderr.write(`  started ${name}\n`));
        await core().migrate(stack.config());
        printStatus(stack);
        process.stdout.write(`\nconfiguration: ${resolve(opts.dir, 'stack.env')} (${findsIt(opts.dir)})\n`);
      }),
    );
  program
    .command('down')
    .description('stop the local stack (data stays in .run/ for the next `up`)')
    .option('--dir <dir>', 'stack folder', defaultRunDir())
    .action(
      action(async (opts: { dir: string }) => {
        const { Stack } = stackModule();
        if (!Stack.exists(opts.dir)) {
          process.stdout.write(`no stack in ${opts.dir}\n`);
          return;
        }
        const stack = await Stack.create({ dir: opts.dir });
        await stack.stop();
        process.stdout.write('stack stopped\n');
      }),
    );
  program
    .command('status')
    .description('show the local stack, the pipewarden services and the pipelines (with their state when the loader service runs)')
    .option('--dir <dir>', 'stack folder', defaultRunDir())
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { dir: string; json?: boolean }, cmd: Command) => {
        const { Stack, httpOk } = stackModule();
        const stack = Stack.exists(opts.dir) ? await Stack.create({ dir: opts.dir }) : undefined;
        // The services of this stack: its run directory names the stack.env to read.
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions, { runDir: opts.dir });
        const services = await Promise.all(
          (['loader', 'reconciler', 'exporter'] as const).map(async (name) => ({ name, url: config[name].url, up: await httpOk(`${config[name].url}/healthz`) })),
        );
        const { pipelines, loaderStatusError } = await pipelineStates(config, services.find((s) => s.name === 'loader')?.up === true);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ stack: stack?.status() ?? null, services, pipelines, loaderStatusError, mysql: core().redactUrl(config.mysql.url), redis: core().redactUrl(config.redis.url) }, null, 2) + '\n');
          return;
        }
        if (stack) printStatus(stack);
        else process.stdout.write(`no local stack in ${opts.dir} (\`pipewarden up\` starts one)\n`);
        process.stdout.write('\npipewarden services:\n');
        for (const s of services) process.stdout.write(`  ${s.name.padEnd(12)} ${s.up ? 'up  ' : 'down'}  ${s.url}\n`);
        process.stdout.write('\npipelines:\n');
        const w = Math.max(8, ...pipelines.map((p) => p.name.length));
        for (const p of pipelines) process.stdout.write(`  ${p.name.padEnd(w)}  ${(p.state ?? '—').padEnd(13)} ${p.dataset} → ${p.table}${p.rowsLoaded !== undefined ? `  ${p.rowsLoaded.toLocaleString('en-US')} rows loaded` : ''}${p.lastError ? `  (${p.lastError})` : ''}\n`);
        if (loaderStatusError) process.stdout.write(`  (states unknown: ${loaderStatusError})\n`);
      }),
    );
}

interface PipelineState {
  name: string;
  dataset: string;
  table: string;
  /** From the loader service's /status, when it runs and answers. */
  state?: string;
  rowsLoaded?: number;
  lastError?: string;
}

/**
 * Every configured pipeline, with its state as the running loader service reports it. When
 * the loader is up but its /status cannot be read (no token, a refused token, a timeout),
 * `loaderStatusError` says why instead of the states silently missing.
 */
async function pipelineStates(config: Config, loaderUp: boolean): Promise<{ pipelines: PipelineState[]; loaderStatusError?: string }> {
  const { allPipelineConfigs, datasetOf, fetchJson, HttpError } = core();
  const out: PipelineState[] = allPipelineConfigs(config).map((c) => ({ name: c.pipeline, dataset: datasetOf(c).name, table: datasetOf(c).table }));
  if (!loaderUp) return { pipelines: out };
  if (!config.token) return { pipelines: out, loaderStatusError: 'no PIPEWARDEN_TOKEN (or PIPEWARDEN_TOKEN_FILE) to ask the loader' };
  try {
    const st = await fetchJson<LoaderStatus>(`${config.loader.url}/status`, { token: config.token, timeoutMs: 2000 });
    for (const p of out) {
      const q = st.pipelines?.find((x) => x.name === p.name);
      if (q) Object.assign(p, { state: q.state, rowsLoaded: q.rowsLoaded, lastError: q.lastError });
    }
  } catch (e) {
    // The loader answered /healthz but not /status: say why (a 401 is a wrong token, not an absent loader).
    const why = e instanceof HttpError && e.status === 401 ? 'the loader refused the token (HTTP 401); check PIPEWARDEN_TOKEN' : `the loader's /status did not answer: ${(e as Error).message}`;
    return { pipelines: out, loaderStatusError: why };
  }
  return { pipelines: out };
}

function printStatus(stack: Stack): void {
  process.stdout.write(`local stack in ${stack.layout.dir}:\n`);
  for (const s of stack.status()) process.stdout.write(`  ${s.name.padEnd(12)} ${s.running ? 'running' : 'stopped'}  ${s.address}${s.pid ? `  (pid ${s.pid})` : ''}\n`);
}
