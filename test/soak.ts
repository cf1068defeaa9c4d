// `npm run soak -- --trials N`: N randomized crash-recovery trials across the cases of
// the reconciler issue, on private stacks. Last line: RESULT {json}.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@pipewarden/core';
import { Stack } from '@pipewarden/stack';
import { runTrial, needsRelaxedDurability, type CaseName } from './helpers/scenarios';

process.env.PIPEWARDEN_LOG_LEVEL ??= 'error';
const { values } = parseArgs({ options: { trials: { type: 'string', default: '12' }, cases: { type: 'string', default: 'a,b,c,d,e,f' } } });
const trials = Number(values.trials);
const cases = values.cases!.split(',') as CaseName[];

async function stackFor(relaxed: boolean): Promise<{ stack: Stack; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-soak-'));
  const stack = await Stack.create({ dir, services: ['mariadb', 'redis', 's3'], flushLogAtTrxCommit: relaxed ? 0 : 1 });
  await stack.start();
  await migrate(stack.config());
  return { stack, dir };
}

(async () => {
  const durable = await stackFor(false);
  const relaxed = await stackFor(true);
  const perCase: Record<string, { trials: number; recovered: number; rows_lost: number; rows_duplicated: number; rows_repaired: number; errors: number }> = {};
  let recovered = 0;
  let lost = 0;
  let duplicated = 0;
  const started = Date.now();
  try {
    for (let i = 0; i < trials; i++) {
      const c = cases[i % cases.length];
      const s = needsRelaxedDurability(c) ? relaxed.stack : durable.stack;
      const pc = (perCase[c] ??= { trials: 0, recovered: 0, rows_lost: 0, rows_duplicated: 0, rows_repaired: 0, errors: 0 });
      pc.trials++;
      try {
        const r = await runTrial(s, c, 1000 + i);
        pc.recovered += r.recovered ? 1 : 0;
        pc.rows_lost += r.rowsLost;
        pc.rows_duplicated += r.rowsDuplicated;
        pc.rows_repaired += r.rowsRepaired;
        recovered += r.recovered ? 1 : 0;
        lost += r.rowsLost;
        duplicated += r.rowsDuplicated;
        process.stdout.write(`trial ${i + 1}/${trials} case ${c}: ${r.recovered ? 'recovered' : 'NOT RECOVERED'} — ${r.detail}\n`);
      } catch (e) {
        pc.errors++;
        process.stdout.write(`trial ${i + 1}/${trials} case ${c}: ERROR ${(e as Error).message}\n`);
      }
    }
  } finally {
    for (const x of [durable, relaxed]) {
      await x.stack.stop();
      rmSync(x.dir, { recursive: true, force: true });
    }
  }
  const result = { trials, recovered, rows_lost: lost, rows_duplicated: duplicated, seconds: Math.round((Date.now() - started) / 1000), cases: perCase };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(recovered === trials ? 0 : 1);
})();
