// The README's first command, as a new user runs it: a fresh clone of the committed
// repository, `npm run demo -- --exit-after-load`, and the summary's proof.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@pipewarden/stack';

test('a fresh clone runs `npm run demo -- --exit-after-load` and proves source = MySQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-clone-'));
  try {
    execFileSync('git', ['clone', '--quiet', REPO_ROOT, join(dir, 'pipewarden')]);
    const r = spawnSync('npm', ['run', 'demo', '--', '--exit-after-load', '--rows', '30000', '--dir', join(dir, 'run')], {
      cwd: join(dir, 'pipewarden'),
      encoding: 'utf8',
      timeout: 900000,
      // The clone installs what it needs itself; only the optional parts this test does not
      // exercise (the plugin's npm tree, pyspark) are left to the other suites.
      env: { ...process.env, PIPEWARDEN_BOOTSTRAP_SKIP: 'plugin,spark', PIPEWARDEN_LOG_LEVEL: 'warn', CI: 'true' },
    });
    const out = r.stdout;
    expect({ status: r.status, tail: r.status === 0 ? '' : (r.stderr + out).slice(-3000) }).toEqual({ status: 0, tail: '' });
    expect(out).toMatch(/rows lost\s+0\n/);
    expect(out).toMatch(/rows duplicated\s+0\n/);
    expect(out).toMatch(/source = MySQL\s+yes/);
    expect(out).toMatch(/MariaDB SIGKILLed at [\d,]+ rows/);
    const inSource = Number(/rows in source\s+[\d,]+\s+\(([\d,]+) distinct/.exec(out)![1].replace(/,/g, ''));
    const inMysql = Number(/rows in MySQL\s+([\d,]+)/.exec(out)![1].replace(/,/g, ''));
    expect(inMysql).toBe(inSource);
    expect(inMysql).toBeGreaterThan(30000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
