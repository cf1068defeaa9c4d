import type { Command } from 'commander';
import { action } from '../run';
import { demo } from '../lazy';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole promise on this machine: local stack, sample + generated data in S3, a load, MariaDB killed mid-load, automatic repair, proof')
    .option('--rows <n>', 'generated rows added to the real sample', '1000000')
    .option('--exit-after-load', 'exit with status 0 after the summary instead of keeping the services up')
    .option('--dir <dir>', 'stack folder', '.run')
    .option('--no-crash', 'do not kill MariaDB mid-load')
    .addHelpText('after', '\nExamples:\n  $ npm run demo\n  $ npm run demo -- --rows 200000 --exit-after-load\n')
    .action(action(async (o: { rows: string; exitAfterLoad?: boolean; dir: string; crash: boolean }) => demo().runDemo(o)));
}
