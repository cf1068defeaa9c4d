// `npm run soak -- --trials N [--seed S] [--seeds a,b,…] [--faults a,b,…] [--engines inline,spark] [--formats csv,gz,zst,parquet] [--findings FILE] [--verbose]`:
// the nemesis. Trial i draws its workload and fault schedule from seed S+i (or from each
// listed seed), runs the real CLI and services against a private stack while the faults
// fire, and checks the invariants (test/nemesis/invariants.ts). A failing trial prints
// its seed, schedule and the command that replays it. Last line: RESULT {json}.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '@pipewarden/core';
import { Stack } from '@pipewarden/stack';
import { unmountAllUnder } from './nemesis/faults';
import { killAll } from './nemesis/procs';
import { FAULTS, type FaultName } from './nemesis/schedule';
import { describePlan, planTrial, runTrial, type TrialOutcome } from './nemesis/trial';
import { OBJECT_FORMATS, type Engine, type ObjectFormat } from './nemesis/workload';

process.env.PIPEWARDEN_LOG_LEVEL ??= 'error';

function listOption<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const xs = value.split(',').filter(Boolean);
  const bad = xs.filter((x) => !allowed.includes(x as T));
  if (bad.length || xs.length === 0) {
    process.stderr.write(`soak: --${name} takes a comma-separated list of ${allowed.join(', ')}; got "${value}"\n`);
    process.exit(2);
  }
  return xs as T[];
}

function nonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`soak: --${name} must be a non-negative integer, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}

const USAGE = `usage: npm run soak -- [--trials N] [--seed S | --seeds a,b,…] [--faults a,b,…] [--engines inline,spark] [--formats csv,gz,zst,parquet] [--findings FILE] [--verbose]

The nemesis: trial i draws a workload and a fault schedule from seed S+i (or from each of
--seeds), runs the real CLI and services against a private stack, and checks that no row is
lost or duplicated. Last line: RESULT {json}; exit 1 when a trial is not recovered.

  --trials N      trials to run (default 12)
  --seed S        first seed (default 1)
  --seeds a,b,…   exactly these seeds (replay)
  --faults …      the faults that may be drawn (default all: ${FAULTS.join(', ')})
  --engines …     engines a workload may use (default inline,spark)
  --formats …     how its objects may be stored (default csv,gz,zst,parquet; csv alone
                  draws what a seed drew before formats were drawn)
  --findings FILE append each failing trial's report to FILE
  --verbose       print every trial's plan and log
`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        trials: { type: 'string', default: '12' },
        seed: { type: 'string', default: '1' },
        seeds: { type: 'string' },
        faults: { type: 'string', default: FAULTS.join(',') },
        engines: { type: 'string', default: 'inline,spark' },
        formats: { type: 'string', default: OBJECT_FORMATS.join(',') },
        findings: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`soak: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
const { values } = parseOptions();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const faults = listOption<FaultName>('faults', values.faults!, FAULTS);
const engines = listOption<Engine>('engines', values.engines!, ['inline', 'spark']);
const formats = listOption<ObjectFormat>('formats', values.formats!, OBJECT_FORMATS);
const first = nonNegativeInt('seed', values.seed!);
const seeds = values.seeds ? values.seeds.split(',').map((s) => nonNegativeInt('seeds', s)) : Array.from({ length: nonNegativeInt('trials', values.trials!) }, (_, i) => first + i);

function replayCommand(seed: number): string {
  const f = values.faults === FAULTS.join(',') ? '' : ` --faults ${values.faults}`;
  const e = values.engines === 'inline,spark' ? '' : ` --engines ${values.engines}`;
  const o = values.formats === OBJECT_FORMATS.join(',') ? '' : ` --formats ${values.formats}`;
  return `npm run soak -- --seed ${seed} --trials 1${f}${e}${o}`;
}

function report(o: TrialOutcome): string {
  const head = `${describePlan(o.plan)}\n  replay: ${replayCommand(o.plan.seed)}`;
  const v = o.violations.map((x) => `  ${x.kind} at ${x.where}: ${x.detail}`).join('\n');
  return `${head}\n${v}\n  trial log:\n${o.log.map((l) => `    ${l}`).join('\n')}`;
}

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-soak-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis', 's3'] });
  const perFault: Record<string, { trials: number; recovered: number }> = {};
  const failed: number[] = [];
  let recovered = 0;
  let lost = 0;
  let duplicated = 0;
  const started = Date.now();
  const onSignal = () =>
    void killAll()
      .then(() => stack.stop())
      .then(() => unmountAllUnder(dir))
      .finally(() => process.exit(130));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await stack.start();
    await migrate(stack.config());
    for (const [i, seed] of seeds.entries()) {
      const plan = planTrial(seed, { faults, engines, formats });
      const o = await runTrial(stack, plan);
      recovered += o.recovered ? 1 : 0;
      lost += o.rowsLost;
      duplicated += o.rowsDuplicated;
      for (const f of o.fired) {
        const pf = (perFault[f] ??= { trials: 0, recovered: 0 });
        pf.trials++;
        pf.recovered += o.recovered ? 1 : 0;
      }
      const line = `trial ${i + 1}/${seeds.length} seed ${seed}: ${o.recovered ? 'ok' : 'VIOLATION'} in ${o.seconds.toFixed(1)} s, ${o.reruns} rerun(s); fired ${o.fired.join(', ') || 'nothing'}`;
      process.stdout.write(`${line}\n`);
      if (values.verbose && o.recovered) process.stdout.write(`${describePlan(o.plan)}\n${o.log.map((l) => `    ${l}`).join('\n')}\n`);
      if (!o.recovered) {
        failed.push(seed);
        process.stdout.write(`${report(o)}\n`);
        if (values.findings) appendFileSync(values.findings, `\n### seed ${seed} (${new Date().toISOString()})\n\`\`\`\n${report(o)}\n\`\`\`\n`);
      }
    }
  } finally {
    await killAll();
    await stack.stop();
    unmountAllUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  const result = { trials: seeds.length, recovered, rows_lost: lost, rows_duplicated: duplicated, seconds: Math.round((Date.now() - started) / 1000), failed_seeds: failed, faults: perFault };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(recovered === seeds.length ? 0 : 1);
})();
