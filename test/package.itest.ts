// The shipped package as a user gets it: `npm pack` (whose prepack builds dist/), installed
// with `npm install -g --prefix <tmp> --offline` (the bundle needs nothing from a registry),
// then run from an empty folder that is not the clone: `up` puts its stack under that
// folder's .run/, `load` and `verify` find it there, and the three services start from the
// package and report its version.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile } from '@pipewarden/core';
import { REPO_ROOT } from '@pipewarden/stack';
import { generate } from '@pipewarden/loader';
import { sparkSkipReason } from '../loader/test/helpers/spark-testkit';
import { SHARED_SAMPLE } from './helpers/stack';

const TMP = mkdtempSync(join(tmpdir(), 'pw-package-'));
const PREFIX = join(TMP, 'prefix');
const WORK = join(TMP, 'work');
const BIN = join(PREFIX, 'bin', 'pipewarden');
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;

/** The environment of a user's shell: no PIPEWARDEN_* variable, so stack.env discovery is what configures. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIPEWARDEN_')));
  return { ...env, PIPEWARDEN_LOG_LEVEL: 'warn' };
}

function run(cmd: string, args: string[], cwd: string, timeout = 300_000, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...userEnv(), ...env }, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function pipewarden(...args: string[]) {
  return run(BIN, args, WORK);
}

function stackEnv(): Record<string, string> {
  return parseEnvFile(readFileSync(join(WORK, '.run', 'stack.env'), 'utf8'));
}

const services: ChildProcess[] = [];

beforeAll(() => {
  const pack = run('npm', ['pack', '--pack-destination', TMP, '--silent'], REPO_ROOT);
  expect({ status: pack.status, err: pack.status === 0 ? '' : pack.stderr }).toEqual({ status: 0, err: '' });
  const tarball = join(TMP, pack.stdout.trim().split('\n').pop()!);
  const install = run('npm', ['install', '-g', '--prefix', PREFIX, '--offline', '--no-audit', '--no-fund', tarball], TMP);
  expect({ status: install.status, err: install.status === 0 ? '' : install.stderr }).toEqual({ status: 0, err: '' });
  spawnSync('mkdir', ['-p', WORK]);
});

afterAll(async () => {
  for (const s of services) if (s.exitCode === null) s.kill('SIGKILL');
  pipewarden('down');
  if (!process.env.PIPEWARDEN_KEEP_TEST_DIRS) rmSync(TMP, { recursive: true, force: true });
});

test('the installed package carries the Spark job, the spec and the provisioning files, and no tests', () => {
  const pkg = join(PREFIX, 'lib', 'node_modules', 'pipewarden');
  for (const f of ['dist/pipewarden.cjs', 'dist/lib.cjs', 'dist/s3rver.cjs', 'cli/bin/healthcheck.cjs', 'core/spec/datasets/nyc-parking-violations.yaml', 'core/spec/dataset-spec.schema.json', 'loader/src/engine/spark/job/transform.py', 'loader/src/engine/spark/job/pwvec.py', 'provisioning/prometheus/rules/pipewarden.yml', 'provisioning/Dockerfile', 'CHANGELOG.md', 'LICENSE', 'dist/THIRD-PARTY-NOTICES.txt']) {
    expect({ f, present: spawnSync('test', ['-f', join(pkg, f)]).status === 0 }).toEqual({ f, present: true });
  }
  expect(spawnSync('test', ['-e', join(pkg, 'loader', 'test', 'spark-job', 'test_split.py')]).status).not.toBe(0);
  expect(spawnSync('test', ['-e', join(pkg, 'node_modules')]).status).not.toBe(0);
  // The bundled third-party code travels with its licenses.
  const notices = readFileSync(join(pkg, 'dist', 'THIRD-PARTY-NOTICES.txt'), 'utf8');
  for (const name of ['@aws-sdk/client-s3', 'mysql2', 'ioredis', 'commander', 'prom-client']) expect(notices).toMatch(new RegExp(`^${name.replace('/', '\\/')} \\S+ \\(`, 'm'));
});

test('--version names the package version and a git revision; --help answers', () => {
  const v = pipewarden('--version');
  expect(v.status).toBe(0);
  expect(v.stdout).toMatch(new RegExp(`^pipewarden ${VERSION.replace(/\./g, '\\.')} \\([0-9a-f]{12}(-dirty)?\\)\\n$`));
  const h = pipewarden('--help');
  expect(h.status).toBe(0);
  expect(h.stdout).toMatch(/Usage: pipewarden/);
});

test('--help and --version stay on the start-up bundle; a command loads dist/lib.cjs', () => {
  // A preload that reports every file Node loads as a module, on stderr.
  const hook = join(TMP, 'report-loads.cjs');
  writeFileSync(hook, "const M = require('node:module'); const load = M._load; M._load = function (request, ...rest) { process.stderr.write('load ' + request + '\\n'); return load.call(this, request, ...rest); };\n");
  const loads = (...args: string[]) => run(BIN, args, WORK, 60_000, { NODE_OPTIONS: `--require ${hook}` }).stderr;
  expect(loads('--help')).not.toMatch(/lib\.cjs/);
  expect(loads('--version')).not.toMatch(/lib\.cjs/);
  expect(loads('config', '--json')).toMatch(/lib\.cjs/);
});

test('up, load and verify from a folder outside the clone: the shared sample loads exactly; PIPEWARDEN_RUN_DIR finds the stack from elsewhere', () => {
  const up = pipewarden('up');
  expect({ status: up.status, err: up.status === 0 ? '' : up.stderr.slice(-3000) }).toEqual({ status: 0, err: '' });
  expect(up.stdout).toContain(join(WORK, '.run', 'stack.env'));

  const load = pipewarden('load', '--source', SHARED_SAMPLE, '--json', '--no-progress');
  expect({ status: load.status, err: load.status === 0 ? '' : load.stderr.slice(-3000) }).toEqual({ status: 0, err: '' });
  const summary = JSON.parse(load.stdout);
  expect(summary).toMatchObject({ balanced: true, objects: 1 });
  expect(summary.rows_in).toBeGreaterThan(1000);
  expect(summary.rows_in).toBe(summary.rows_loaded + summary.rows_rejected + summary.rows_duplicate);

  const verify = pipewarden('verify', '--source', SHARED_SAMPLE, '--json');
  expect({ status: verify.status, err: verify.stderr.slice(-3000) }).toEqual({ status: 0, err: '' });
  const report = JSON.parse(verify.stdout);
  expect(report).toMatchObject({ ok: true, lost: 0, unexpected: 0, duplicated: 0, mismatched: 0, tableRows: summary.rows_loaded });

  // From another folder, PIPEWARDEN_RUN_DIR names the same stack.
  const status = run(BIN, ['status', '--json'], TMP, 60_000, { PIPEWARDEN_RUN_DIR: join(WORK, '.run') });
  expect(status.status).toBe(0);
  const stackStatus = JSON.parse(status.stdout).stack as { name: string; running: boolean }[];
  expect(stackStatus.filter((s) => ['mariadb', 'redis', 's3'].includes(s.name)).map((s) => [s.name, s.running])).toEqual([
    ['mariadb', true],
    ['redis', true],
    ['s3', true],
  ]);
});

const skipSpark = sparkSkipReason();
if (skipSpark) console.warn(`SKIPPED package --engine spark: ${skipSpark}`);
(skipSpark ? test.skip : test)('the Spark job inside the package runs: load --engine spark with the clone\'s pyspark', async () => {
  const file = join(WORK, 'spark.csv');
  await generate(file, { rows: 3000, seed: 41, badShare: 0.02 });
  const venv = join(REPO_ROOT, '.venv', 'bin');
  const r = run(BIN, ['load', '--source', file, '--engine', 'spark', '--json', '--no-progress'], WORK, 300_000, {
    PIPEWARDEN_SPARK_SUBMIT: join(venv, 'spark-submit'),
    PIPEWARDEN_SPARK_PYTHON: join(venv, 'python'),
  });
  expect({ status: r.status, err: r.status === 0 ? '' : r.stderr.slice(-3000) }).toEqual({ status: 0, err: '' });
  expect(JSON.parse(r.stdout)).toMatchObject({ engine: 'spark', rows_in: 3000, balanced: true });
});

async function waitHttp(url: string, token: string, proc: ChildProcess, err: () => string): Promise<Response> {
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${url}: the service exited with ${proc.exitCode}: ${err()}`);
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (res.status < 500) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${url} did not answer within 60 s: ${err()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function serve(...args: string[]): { proc: ChildProcess; stderr: () => string } {
  const proc = spawn(BIN, args, { cwd: WORK, env: userEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  services.push(proc);
  return { proc, stderr: () => stderr.slice(-3000) };
}

async function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGTERM');
  return exited;
}

test('loader serve, reconciler serve and exporter run from the package; /status reports the version --version prints', async () => {
  const env = stackEnv();
  const printed = /\((.+)\)/.exec(pipewarden('--version').stdout)![1];
  const loader = serve('loader', 'serve', '--source', SHARED_SAMPLE);
  const reconciler = serve('reconciler', 'serve', '--no-watchdog');
  const exporter = serve('exporter');

  const ls = await waitHttp(`${env.PIPEWARDEN_LOADER_URL}/status`, env.PIPEWARDEN_TOKEN, loader.proc, loader.stderr);
  expect(ls.status).toBe(200);
  expect(await ls.json()).toMatchObject({ version: VERSION, revision: printed });
  const rs = await waitHttp(`${env.PIPEWARDEN_RECONCILER_URL}/status`, env.PIPEWARDEN_TOKEN, reconciler.proc, reconciler.stderr);
  expect(rs.status).toBe(200);
  expect(await rs.json()).toMatchObject({ version: VERSION, revision: printed, mysql: { up: true } });
  const metrics = await waitHttp(`${env.PIPEWARDEN_EXPORTER_URL}/metrics`, env.PIPEWARDEN_TOKEN, exporter.proc, exporter.stderr);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toMatch(/^pipewarden_up\{[^}]*\} 1$/m);

  for (const s of [loader, reconciler, exporter]) expect({ exit: await stop(s.proc), stderr: s.stderr() }).toMatchObject({ exit: 0 });
});
