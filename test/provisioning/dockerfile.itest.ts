// provisioning/Dockerfile checked statically (no Docker engine here): hadolint's rules that
// apply to it, written out (each shown failing on a broken Dockerfile), the image built from
// the packed package, and the Spark pins equal to scripts/install-spark.sh's. Its HEALTHCHECK
// script runs for real against a service process.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort } from '@pipewarden/stack';
import { PROVISIONING } from './rules';

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  return lines
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l)!;
      return { op: m[1].toUpperCase(), args: m[2] };
    });
}

/** Each rule returns the problems it finds; the ids are hadolint's where one exists. */
const RULES: Record<string, (ins: Instruction[]) => string[]> = {
  'DL3006/DL3007 FROM pinned by version tag or digest, never latest': (ins) =>
    ins.filter((i) => i.op === 'FROM').flatMap((i) => {
      const image = i.args.split(/\s+/)[0];
      if (image.includes('@sha256:')) return [];
      const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
      return !tag || tag === 'latest' || !/\d+\.\d+\.\d+/.test(tag) ? [`FROM ${image}: pin a full version tag or a digest`] : [];
    }),
  'DL3002 the last USER is not root': (ins) => {
    const users = ins.filter((i) => i.op === 'USER');
    const last = users[users.length - 1]?.args;
    return !last || /^(root|0)(:|$)/.test(last) ? [`last USER is ${last ?? 'unset (root)'}`] : [];
  },
  'HEALTHCHECK present, once, not NONE': (ins) => {
    const hc = ins.filter((i) => i.op === 'HEALTHCHECK');
    return hc.length !== 1 || /^NONE\b/i.test(hc[0].args) ? [`${hc.length} HEALTHCHECK instruction(s)`] : [];
  },
  'DL3009 apt lists removed in the RUN that updates them': (ins) =>
    ins.filter((i) => i.op === 'RUN' && /apt-get update/.test(i.args) && !/rm -rf \/var\/lib\/apt\/lists\/\*/.test(i.args)).map((i) => `RUN ${i.args.slice(0, 60)}…`),
  'DL3015 apt-get install --no-install-recommends': (ins) =>
    ins.filter((i) => i.op === 'RUN' && /apt-get install/.test(i.args) && !/--no-install-recommends/.test(i.args)).map((i) => `RUN ${i.args.slice(0, 60)}…`),
  'DL3042/DL3013 pip without cache, every package pinned': (ins) =>
    ins
      .filter((i) => i.op === 'RUN' && /pip install/.test(i.args))
      .flatMap((i) => {
        const pkgs = i.args.slice(i.args.indexOf('pip install')).split(/\s+/).slice(2).filter((w) => !w.startsWith('-') && w !== '&&');
        return [...(/--no-cache-dir/.test(i.args) ? [] : ['pip install without --no-cache-dir']), ...pkgs.filter((p) => !/==/.test(p)).map((p) => `unpinned ${p}`)];
      }),
  'DL3020 COPY, not ADD': (ins) => ins.filter((i) => i.op === 'ADD').map((i) => `ADD ${i.args}`),
  'DL3025 ENTRYPOINT and CMD in JSON form': (ins) => ins.filter((i) => (i.op === 'ENTRYPOINT' || i.op === 'CMD') && !i.args.startsWith('[')).map((i) => `${i.op} ${i.args}`),
  'DL4006 no pipes in RUN without pipefail': (ins) =>
    ins.some((i) => i.op === 'SHELL' && /pipefail/.test(i.args)) ? [] : ins.filter((i) => i.op === 'RUN' && /[^|]\|[^|]/.test(i.args)).map((i) => `RUN ${i.args.slice(0, 60)}…`),
  'installs the packed package, not the sources': (ins) => {
    const copies = ins.filter((i) => i.op === 'COPY').map((i) => i.args);
    const problems = copies.filter((c) => !/^pipewarden-\*\.tgz\s/.test(c)).map((c) => `COPY ${c}`);
    if (!copies.length) problems.push('no COPY of pipewarden-*.tgz');
    if (!ins.some((i) => i.op === 'RUN' && /npm install -g .*pipewarden-\*\.tgz/.test(i.args))) problems.push('no npm install -g of the tarball');
    if (ins.some((i) => i.op === 'RUN' && /npm ci\b/.test(i.args))) problems.push('npm ci: the sources are not in the image');
    return problems;
  },
};

const DOCKERFILE = readFileSync(join(PROVISIONING, 'Dockerfile'), 'utf8');

test.each(Object.keys(RULES))('Dockerfile: %s', (rule) => {
  expect(RULES[rule](parseDockerfile(DOCKERFILE))).toEqual([]);
});

test('each rule finds its fault in a broken Dockerfile', () => {
  const broken: Record<string, string> = {
    'DL3006/DL3007 FROM pinned by version tag or digest, never latest': 'FROM node:latest',
    'DL3002 the last USER is not root': 'USER node\nUSER root',
    'HEALTHCHECK present, once, not NONE': 'HEALTHCHECK NONE',
    'DL3009 apt lists removed in the RUN that updates them': 'RUN apt-get update && apt-get install -y --no-install-recommends curl',
    'DL3015 apt-get install --no-install-recommends': 'RUN apt-get install -y curl',
    'DL3042/DL3013 pip without cache, every package pinned': 'RUN pip install --no-cache-dir pyspark',
    'DL3020 COPY, not ADD': 'ADD pipewarden-1.0.0.tgz /tmp/',
    'DL3025 ENTRYPOINT and CMD in JSON form': 'ENTRYPOINT pipewarden',
    'DL4006 no pipes in RUN without pipefail': 'RUN curl -s x | sh',
    'installs the packed package, not the sources': 'COPY core core\nRUN npm ci',
  };
  for (const [rule, text] of Object.entries(broken)) expect({ rule, problems: RULES[rule](parseDockerfile(text)).length > 0 }).toEqual({ rule, problems: true });
});

/** name → version pinned by scripts/install-spark.sh (its PACKAGES, with $PYSPARK_VERSION expanded). */
function installScriptPins(): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, 'scripts', 'install-spark.sh'), 'utf8');
  const pyspark = /^PYSPARK_VERSION=(\S+)$/m.exec(text)![1];
  const packages = /^PACKAGES=\((.*)\)$/m.exec(text)![1].replace(/\$PYSPARK_VERSION/g, pyspark);
  return Object.fromEntries([...packages.matchAll(/"([\w-]+)==([\w.]+)"/g)].map((m) => [m[1], m[2]]));
}

/** name → version the Dockerfile installs with pip (its ARG defaults substituted). */
function dockerfilePins(): Record<string, string> {
  const ins = parseDockerfile(DOCKERFILE);
  const args = Object.fromEntries(ins.filter((i) => i.op === 'ARG' && i.args.includes('=')).map((i) => i.args.split('=') as [string, string]));
  const pip = ins.find((i) => i.op === 'RUN' && /pip install/.test(i.args))!.args;
  const expanded = pip.replace(/\$\{(\w+)\}/g, (_m, v: string) => args[v] ?? `<unset ${v}>`);
  return Object.fromEntries([...expanded.matchAll(/"([\w-]+)==([^"]+)"/g)].map((m) => [m[1], m[2]]));
}

test('the image pins exactly the Spark packages of scripts/install-spark.sh', () => {
  const script = installScriptPins();
  expect(Object.keys(script).sort()).toEqual(['numpy', 'pandas', 'pyarrow', 'pyspark']);
  expect(dockerfilePins()).toEqual(script);
});

test('the build context admits the packed tarball and nothing else', () => {
  const ignore = readFileSync(join(PROVISIONING, 'Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  expect(ignore).toEqual(['*', '!pipewarden-*.tgz']);
});

test('the package ships the HEALTHCHECK script the image runs', () => {
  const hc = parseDockerfile(DOCKERFILE).find((i) => i.op === 'HEALTHCHECK')!;
  const script = /"\/app\/(cli\/bin\/healthcheck\.cjs)"/.exec(hc.args)![1];
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
  expect(pkg.files).toContain(script);
});

function healthcheck(pid: number, env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'cli', 'bin', 'healthcheck.cjs'), String(pid)], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('the HEALTHCHECK script: healthy while the service answers /healthz, unhealthy when nothing answers on its port, healthy for a one-shot command', async () => {
  // A real exporter (its /healthz needs no database) on a port of its own.
  const port = await freePort();
  const env = { PIPEWARDEN_EXPORTER_LISTEN: `127.0.0.1:${port}`, PIPEWARDEN_LOG_LEVEL: 'warn' };
  const exporter = spawn(process.execPath, [join(REPO_ROOT, 'cli', 'bin', 'pipewarden.cjs'), 'exporter'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  try {
    let r = healthcheck(exporter.pid!, env);
    for (const end = Date.now() + 60_000; r.status !== 0 && Date.now() < end && exporter.exitCode === null; r = healthcheck(exporter.pid!, env)) await new Promise((res) => setTimeout(res, 300));
    expect(r).toEqual({ status: 0, stderr: '' });
    // The same check on the wrong port: the service does not answer there.
    const wrong = healthcheck(exporter.pid!, { PIPEWARDEN_EXPORTER_LISTEN: '127.0.0.1:1' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('exporter: /healthz on port 1 did not answer');
  } finally {
    exporter.kill('SIGTERM');
    await new Promise((res) => exporter.once('exit', res));
  }
  // This test's own process runs no service.
  expect(healthcheck(process.pid, env)).toEqual({ status: 0, stderr: '' });
});
