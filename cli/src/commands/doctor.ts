// `pipewarden doctor`: the target's settings that decide speed and safety, with what each
// means; exit 1 when one would break a guarantee (loader/src/doctor/).
import type { Command } from 'commander';
import type { DoctorReport } from '@pipewarden/loader';
import { loader } from '../lazy';
import { action, configFrom, type GlobalOptions } from '../run';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

function printReport(r: DoctorReport): void {
  let target = '';
  for (const f of r.findings) {
    if (f.target !== target) process.stdout.write(`${target ? '\n' : ''}${(target = f.target)}\n`);
    process.stdout.write(`  ${MARK[f.verdict]}  ${f.check}: ${f.value}\n        ${f.meaning}\n`);
  }
  const n = (v: string) => r.findings.filter((f) => f.verdict === v).length;
  process.stdout.write(`\n${n('fail')} fail, ${n('warn')} warn, ${n('ok')} ok\n`);
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description("check the target MySQL, Redis, the WAL's disk and the source for the settings that decide speed and safety; exit 1 when one breaks a guarantee")
    .option('--source <url>', 'check this source instead of the pipelines\' own')
    .option('--json', 'print {findings, verdict} as JSON')
    .addHelpText('after', '\nExample:\n  $ pipewarden doctor\n  $ pipewarden doctor --json | jq \'.findings[] | select(.verdict != "ok")\'\n')
    .action(
      action(async (o: { source?: string; json?: boolean }, cmd: Command) => {
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const report = await loader().runDoctor(config, { source: o.source });
        if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else printReport(report);
        if (report.verdict === 'fail') process.exitCode = 1;
      }),
    );
}
