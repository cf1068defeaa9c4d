import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, loadConfig, parseEnvFile, parseHostPort, redactUrl, tokenMatches } from '../src';

const base = { PIPEWARDEN_MYSQL_URL: 'mysql://root@127.0.0.1:3306/pw' };

describe('configuration', () => {
  it('applies defaults, then the file, then the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cfg-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ batch: { size: 777 }, redis: { url: 'redis://file:1/0' } }));
    const c = loadConfig({ env: { ...base, PIPEWARDEN_REDIS_URL: 'redis://env:2/0' }, file: join(dir, 'c.json'), useStackEnv: false, cwd: dir });
    expect(c.batch.size).toBe(777);
    expect(c.redis.url).toBe('redis://env:2/0');
    expect(c.batch.pipelineDepth).toBe(2);
    expect(c.wal.dir).toBe(join(dir, '.run', 'wal'));
  });

  it('names the variable and what was expected', () => {
    expect(() => loadConfig({ env: { ...base, PIPEWARDEN_BATCH_SIZE: 'lots' }, useStackEnv: false })).toThrow(/PIPEWARDEN_BATCH_SIZE = "lots": .*number/);
    expect(() => loadConfig({ env: { ...base, PIPEWARDEN_LOADER_LISTEN: 'nowhere' }, useStackEnv: false })).toThrow(/PIPEWARDEN_LOADER_LISTEN .*host:port/);
    try {
      loadConfig({ env: { ...base, PIPEWARDEN_TOKEN: 'short' }, useStackEnv: false });
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toContain('PIPEWARDEN_TOKEN = (secret)');
      expect((e as Error).message).not.toContain('short');
    }
  });

  it('reads secrets from *_FILE variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cfg-'));
    writeFileSync(join(dir, 'token'), 'a-token-of-sufficient-length\n');
    const c = loadConfig({ env: { ...base, PIPEWARDEN_TOKEN_FILE: join(dir, 'token') }, useStackEnv: false });
    expect(c.token).toBe('a-token-of-sufficient-length');
    expect(() => loadConfig({ env: { ...base, PIPEWARDEN_TOKEN_FILE: join(dir, 'nope') }, useStackEnv: false })).toThrow(/cannot read PIPEWARDEN_TOKEN_FILE/);
  });

  it('finds .run/stack.env upwards when nothing configures MySQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cfg-'));
    mkdirSync(join(dir, '.run'));
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(dir, '.run', 'stack.env'), '# comment\nPIPEWARDEN_MYSQL_URL=mysql://root@127.0.0.1:4444/pipewarden\nexport PIPEWARDEN_BATCH_SIZE="123"\n');
    const c = loadConfig({ env: {}, cwd: join(dir, 'sub', 'deeper') });
    expect(c.mysql.url).toBe('mysql://root@127.0.0.1:4444/pipewarden');
    expect(c.batch.size).toBe(123);
  });

  it('parses env files and redacts URL passwords', () => {
    expect(parseEnvFile("A=1\n B = 2\nC='x y'\n#D=4")).toEqual({ A: '1', C: 'x y' });
    expect(redactUrl('mysql://u:secret@h:1/db')).toBe('mysql://u:***@h:1/db');
  });

  it('compares tokens in constant time and exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
  });
});

test('listen addresses: one rule for the configuration and every service (host:port)', () => {
  expect(parseHostPort('127.0.0.1:9841')).toEqual({ host: '127.0.0.1', port: 9841 });
  expect(parseHostPort('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
  for (const bad of ['9841', '127.0.0.1:70000', 'host:', ':9841', 'a b:1']) expect(() => parseHostPort(bad)).toThrow(/invalid listen address/);
  expect(() => loadConfig({ env: { PIPEWARDEN_EXPORTER_LISTEN: '127.0.0.1' }, useStackEnv: false })).toThrow(/host:port/);
});
