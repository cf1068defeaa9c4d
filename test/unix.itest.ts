// Unix manners of the CLI, in real processes: a reader that goes away ends it quietly,
// styling and progress bars only on a terminal (a pseudo-terminal from util-linux `script`)
// and never with NO_COLOR, `--json` is one JSON document on stdout, and the bash/zsh
// completion scripts complete commands, subcommands and options.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { generate } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';
import { CLI, runCli } from './helpers/doubt';

const ESC = '\x1b[';
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.cleanup());

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Run a shell command line under a pseudo-terminal; returns what the terminal showed. */
function onTerminal(commandLine: string, env: Record<string, string> = {}): { status: number | null; screen: string } {
  // A user's terminal: none of the variables that turn colours off (Node's hasColors() says
  // "no colours" whenever CI is set, as it is when CI runs this test).
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['NO_COLOR', 'FORCE_COLOR', 'CI'].includes(k)));
  const r = spawnSync('script', ['-qec', commandLine, '/dev/null'], { env: { ...base, ...stack.env, TERM: 'xterm-256color', PIPEWARDEN_LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, screen: r.stdout };
}

const cliLine = (...args: string[]) => [process.execPath, CLI, ...args].map(shellQuote).join(' ');

test('a reader that closes early ends the CLI quietly (exit 0, no EPIPE stack trace)', async () => {
  for (const args of [['--help'], ['config', '--reference'], ['completion', 'bash']]) {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // like `| head` having exited before the CLI writes
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    expect({ args, status, stderr }).toEqual({ args, status: 0, stderr: '' });
  }
});

test('help is styled on a colour terminal only: not with NO_COLOR, not into a pipe', () => {
  const tty = onTerminal(cliLine('--help'));
  expect(tty.status).toBe(0);
  expect(tty.screen).toContain(`${ESC}1mUsage:`);
  const noColor = onTerminal(cliLine('load', '--help'), { NO_COLOR: '1' });
  expect(noColor.status).toBe(0);
  expect(noColor.screen).toContain('Usage: pipewarden load');
  expect(noColor.screen).not.toContain(ESC);
  const piped = runCli(stack, ['--help']);
  expect(piped.status).toBe(0);
  expect(piped.stdout).not.toContain(ESC);
});

test('--json prints one JSON document on stdout and nothing else', async () => {
  const file = join(stack.layout.dir, 'json.csv');
  // Runs first: verify compares the table with this one source.
  await generate(file, { rows: 2000, seed: 33, badShare: 0.05 });
  const cases: [string[], (doc: Record<string, unknown>) => void][] = [
    [['load', '--source', file, '--json'], (d) => expect(d).toMatchObject({ rows_in: 2000, balanced: true })],
    [['verify', '--source', file, '--json'], (d) => expect(d).toHaveProperty('sourceRecords', 2000)],
    [['reconcile', '--dry-run', '--json'], (d) => expect(d).toMatchObject({ dryRun: true })],
    [['status', '--dir', stack.layout.dir, '--json'], (d) => expect(d).toHaveProperty('services')],
    [['config', '--json'], (d) => expect(d).toHaveProperty('sources')],
    [['pipelines', '--json'], (d) => expect((d as unknown as { name: string }[]).map((p) => p.name)).toEqual(['default'])],
    [['spec', 'infer', file, '--json'], (d) => expect(d).toHaveProperty('yaml')],
    [['spec', 'check', 'builtin:nyc-parking-violations', file, '--json'], (d) => expect(d).toMatchObject({ records: 2000 })],
    [['spec', 'validate', 'builtin:nyc-parking-violations', '--json'], (d) => expect(d).toMatchObject({ table: 'violations' })],
    [['spec', 'list', '--json'], (d) => expect((d as unknown as { name: string }[]).map((s) => s.name)).toContain('nyc-parking-violations')],
  ];
  for (const [args, check] of cases) {
    const r = runCli(stack, args);
    expect({ args, status: r.status, err: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ args, status: 0, err: '' });
    // JSON.parse takes the whole of stdout: a second document or any other text fails it.
    check(JSON.parse(r.stdout));
  }
});

test('the load progress bar shows on a terminal and never into a pipe', async () => {
  const onTty = join(stack.layout.dir, 'progress-tty.csv');
  const piped = join(stack.layout.dir, 'progress-pipe.csv');
  await generate(onTty, { rows: 3000, seed: 31 });
  await generate(piped, { rows: 3000, seed: 32 });
  // stdout to /dev/null: the terminal shows stderr, where the bar is drawn.
  const tty = onTerminal(`${cliLine('load', '--source', onTty)} >/dev/null`);
  expect(tty.status).toBe(0);
  expect(tty.screen).toMatch(/rows\/s/);
  const r = runCli(stack, ['load', '--source', piped]);
  expect(r.status).toBe(0);
  expect(r.stderr).not.toMatch(/rows\/s|ETA/);
  expect(r.stderr).not.toContain(ESC);
  expect(r.stdout).toMatch(/^source /);
});

/** The completions bash offers for a command line typed so far (the last word being completed). */
function complete(script: string, words: string[]): string[] {
  const program = `${script}\nCOMP_WORDS=(${words.map(shellQuote).join(' ')}); COMP_CWORD=${words.length - 1}; _pipewarden; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', program], { encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return r.stdout.split('\n').filter(Boolean).sort();
}

test('completion bash and zsh complete commands, subcommands and options; another shell is a clear error', () => {
  const bash = runCli(stack, ['completion', 'bash']);
  expect(bash.status).toBe(0);
  expect(bash.stdout).toContain('complete -o default -F _pipewarden pipewarden');
  expect(complete(bash.stdout, ['pipewarden', 'lo'])).toEqual(['load', 'loader']);
  expect(complete(bash.stdout, ['pipewarden', 'loader', 's'])).toEqual(['serve']);
  expect(complete(bash.stdout, ['pipewarden', 'reconcile', '--d'])).toEqual(['--dry-run']);
  // An option's value is not taken for a command.
  expect(complete(bash.stdout, ['pipewarden', 'load', '--source', 'up', '--js'])).toEqual(['--json']);

  const zsh = runCli(stack, ['completion', 'zsh']);
  expect(zsh.status).toBe(0);
  expect(zsh.stdout.split('\n')[0]).toBe('#compdef pipewarden');
  expect(zsh.stdout).toContain('autoload -U +X bashcompinit && bashcompinit');
  // zsh runs the same function through bashcompinit; bash stands in for that layer here.
  const zshInBash = `autoload() { :; }; bashcompinit() { :; }\n${zsh.stdout}`;
  expect(complete(zshInBash, ['pipewarden', 'reconciler', ''])).toEqual(['--help', 'serve']);

  const fish = runCli(stack, ['completion', 'fish']);
  expect(fish.status).toBe(1);
  expect(fish.stderr).toBe('pipewarden: no completion for the shell "fish": pipewarden completes bash and zsh\n');
});
