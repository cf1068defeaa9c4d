// `pipewarden config` as users run it: which stack.env configures the command, where each
// value came from, and no password in its output.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@pipewarden/stack';
import { CLI } from './helpers/doubt';

function config(args: string[], env: Record<string, string>, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIPEWARDEN_') && !k.startsWith('AWS_')));
  const r = spawnSync(process.execPath, [CLI, 'config', ...args], { env: { ...clean, ...env }, encoding: 'utf8', cwd, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function row(out: string, variable: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`${variable} `));
  if (!line) throw new Error(`no ${variable} row in:\n${out}`);
  return line.split(/\s{2,}/);
}

describe('pipewarden config', () => {
  const root = mkdtempSync(join(tmpdir(), 'pw-cfgcli-'));
  const discovered = join(root, 'work', '.run');
  const other = join(root, 'stack-b');
  const cwd = join(root, 'work');
  mkdirSync(discovered, { recursive: true });
  mkdirSync(other);
  writeFileSync(join(discovered, 'stack.env'), `PIPEWARDEN_MYSQL_URL=mysql://root:a-pass@127.0.0.1:1111/pipewarden\nPIPEWARDEN_WAL_DIR=${join(discovered, 'wal')}\n`);
  writeFileSync(join(other, 'stack.env'), `PIPEWARDEN_MYSQL_URL=mysql://root:b-pass@127.0.0.1:2222/pipewarden\nPIPEWARDEN_REDIS_URL=redis://:b-redis-pass@127.0.0.1:2223/0\nPIPEWARDEN_WAL_DIR=${join(other, 'wal')}\n`);
  writeFileSync(join(root, 'redis-pw'), 'file-redis-pass\n');

  it('takes the explicit run directory\'s stack.env and says so per value', () => {
    const r = config([], { PIPEWARDEN_RUN_DIR: other, PIPEWARDEN_REDIS_PASSWORD_FILE: join(root, 'redis-pw'), PIPEWARDEN_BATCH_SIZE: '99' }, cwd);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(row(r.stdout, 'PIPEWARDEN_WAL_DIR')).toEqual(['PIPEWARDEN_WAL_DIR', join(other, 'wal'), join(other, 'stack.env')]);
    expect(row(r.stdout, 'PIPEWARDEN_MYSQL_URL')).toEqual(['PIPEWARDEN_MYSQL_URL', 'mysql://root:***@127.0.0.1:2222/pipewarden', join(other, 'stack.env')]);
    expect(row(r.stdout, 'PIPEWARDEN_REDIS_URL')[1]).toBe('redis://:***@127.0.0.1:2223/0');
    expect(row(r.stdout, 'PIPEWARDEN_REDIS_PASSWORD')).toEqual(['PIPEWARDEN_REDIS_PASSWORD', '***', 'environment (PIPEWARDEN_REDIS_PASSWORD_FILE)']);
    expect(row(r.stdout, 'PIPEWARDEN_BATCH_SIZE')).toEqual(['PIPEWARDEN_BATCH_SIZE', '99', 'environment']);
    expect(row(r.stdout, 'PIPEWARDEN_PIPELINE_DEPTH')).toEqual(['PIPEWARDEN_PIPELINE_DEPTH', '2', 'default']);
    for (const secret of ['a-pass', 'b-pass', 'b-redis-pass', 'file-redis-pass', '1111']) expect(r.stdout).not.toContain(secret);
  });

  it('names the config file and flags; --json keeps the sources', () => {
    writeFileSync(join(cwd, 'c.json'), JSON.stringify({ batch: { size: 123 } }));
    const r = config(['--json'], { PIPEWARDEN_RUN_DIR: other }, REPO_ROOT);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { config: { mysql: { url: string } }; sources: Record<string, string> };
    expect(j.config.mysql.url).toBe('mysql://root:***@127.0.0.1:2222/pipewarden');
    const f = spawnSync(process.execPath, [CLI, '--config', join(cwd, 'c.json'), 'config'], { env: { PATH: process.env.PATH ?? '', PIPEWARDEN_RUN_DIR: other }, encoding: 'utf8', cwd });
    expect(row(f.stdout, 'PIPEWARDEN_BATCH_SIZE')).toEqual(['PIPEWARDEN_BATCH_SIZE', '123', `config file ${join(cwd, 'c.json')}`]);
  });
});
