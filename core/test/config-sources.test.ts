// Which stack.env configures a command, where each value came from, and secrets that
// never show: issue 13's "two stacks' settings mixed" and "passwords in URLs".
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadConfigWithSources, redactUrl, redactedConfig } from '../src';

/** A repository-like folder with a discovered .run/stack.env (stack A) and a second stack B elsewhere. */
function twoStacks(): { cwd: string; a: string; b: string } {
  const root = mkdtempSync(join(tmpdir(), 'pw-cfgsrc-'));
  const a = join(root, 'repo', '.run');
  const b = join(root, 'other-stack');
  mkdirSync(join(root, 'repo', 'sub'), { recursive: true });
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(a, 'stack.env'), `PIPEWARDEN_MYSQL_URL=mysql://root@127.0.0.1:1111/pipewarden\nPIPEWARDEN_WAL_DIR=${join(a, 'wal')}\n`);
  writeFileSync(join(b, 'stack.env'), `PIPEWARDEN_MYSQL_URL=mysql://root@127.0.0.1:2222/pipewarden\nPIPEWARDEN_WAL_DIR=${join(b, 'wal')}\n`);
  return { cwd: join(root, 'repo', 'sub'), a, b };
}

describe('an explicit run directory', () => {
  it('reads its own stack.env, not the one found below the working folder', () => {
    const { cwd, b } = twoStacks();
    const { config, sources } = loadConfigWithSources({ env: { PIPEWARDEN_RUN_DIR: b }, cwd });
    expect(config.mysql.url).toBe('mysql://root@127.0.0.1:2222/pipewarden');
    expect(config.wal.dir).toBe(join(b, 'wal'));
    expect(sources['wal.dir']).toBe(join(b, 'stack.env'));
    expect(sources.runDir).toBe('environment');
  });

  it('never falls back to a discovered stack.env when its own has none', () => {
    const { cwd } = twoStacks();
    const empty = mkdtempSync(join(tmpdir(), 'pw-cfgsrc-empty-'));
    const c = loadConfig({ env: { PIPEWARDEN_RUN_DIR: empty }, cwd });
    expect(c.mysql.url).toBe('mysql://root@127.0.0.1:3306/pipewarden'); // the default, not stack A's 1111
    expect(c.wal.dir).toBe(join(empty, 'wal'));
  });

  it('counts when it comes from the config file too', () => {
    const { cwd, b } = twoStacks();
    writeFileSync(join(cwd, 'c.json'), JSON.stringify({ runDir: b }));
    const c = loadConfig({ env: {}, file: 'c.json', cwd });
    expect(c.wal.dir).toBe(join(b, 'wal'));
  });

  it('without one, the nearest .run/stack.env still configures a bare environment', () => {
    const { cwd, a } = twoStacks();
    const { config, sources } = loadConfigWithSources({ env: {}, cwd });
    expect(config.wal.dir).toBe(join(a, 'wal'));
    expect(sources['mysql.url']).toBe(join(a, 'stack.env'));
  });
});

describe('configuration sources', () => {
  it('names default, config file, environment, stack.env and flag', () => {
    const { cwd, b } = twoStacks();
    writeFileSync(join(cwd, 'c.json'), JSON.stringify({ batch: { size: 77 } }));
    const { sources } = loadConfigWithSources({ env: { PIPEWARDEN_RUN_DIR: b, PIPEWARDEN_ENGINE: 'inline' }, file: 'c.json', cwd, overrides: { source: '/tmp/x.csv' } });
    expect(sources['batch.pipelineDepth']).toBe('default');
    expect(sources['batch.size']).toBe(`config file ${join(cwd, 'c.json')}`);
    expect(sources.engine).toBe('environment');
    expect(sources['mysql.url']).toBe(join(b, 'stack.env'));
    expect(sources.source).toBe('flag');
  });
});

describe('Redis password', () => {
  it('comes from PIPEWARDEN_REDIS_PASSWORD_FILE and is never shown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cfgsrc-'));
    writeFileSync(join(dir, 'pw'), 'hunter2-redis\n');
    const { config, sources } = loadConfigWithSources({
      env: { PIPEWARDEN_MYSQL_URL: 'mysql://u:my-sql-pw@h:1/db', PIPEWARDEN_REDIS_URL: 'redis://:url-pw@h:6379/0', PIPEWARDEN_REDIS_PASSWORD_FILE: join(dir, 'pw') },
      useStackEnv: false,
    });
    expect(config.redis.password).toBe('hunter2-redis');
    expect(sources['redis.password']).toBe('environment (PIPEWARDEN_REDIS_PASSWORD_FILE)');
    const shown = JSON.stringify(redactedConfig(config));
    for (const secret of ['hunter2-redis', 'url-pw', 'my-sql-pw']) expect(shown).not.toContain(secret);
    expect(redactedConfig(config).redis.url).toBe('redis://:***@h:6379/0');
  });

  it('redacts every form of URL password', () => {
    expect(redactUrl('redis://:pw@h:6379/0')).toBe('redis://:***@h:6379/0');
    expect(redactUrl('redis://:p@ss@h/0')).toBe('redis://:***@h/0');
    expect(redactUrl('redis://h:1/0?password=abc&db=1')).toBe('redis://h:1/0?password=***&db=1');
    expect(redactUrl('mysql://root@127.0.0.1:3306/pw')).toBe('mysql://root@127.0.0.1:3306/pw');
  });
});
