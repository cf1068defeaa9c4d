// Deployment files: docker-compose.yml validates against the Compose Specification's JSON
// schema and keeps the deployment rules (health checks, restart policies, secrets, no
// public control ports, durable MySQL and Redis); the Dockerfile (checked by dockerfile.itest.ts) builds what Compose runs;
// the systemd units pass `systemd-analyze verify` and keep a low exposure score.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { PROVISIONING } from './rules';

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  ports?: string[];
  secrets?: string[];
  restart?: string;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
};
const compose = parse(readFileSync(join(PROVISIONING, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};

/** The Compose Specification's JSON schema, vendored (its origin and license beside it). */
function composeSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, 'compose-spec', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  test('validates against the Compose Specification schema', () => {
    const schema = composeSchema();
    // Written for draft 2019-09, with draft-04 style `id`s: Ajv2019, not strict, and the
    // schema's own `$schema` URL (http, '#') dropped in favour of Ajv's built-in meta-schema.
    delete schema.$schema;
    // Draft-04 `id` keywords (string values) are not ids in 2019-09; Ajv refuses them.
    const dropIds = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(dropIds);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.id === 'string') delete o.id;
        Object.values(o).forEach(dropIds);
      }
    };
    dropIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // Compose's own formats: Go durations ("10s", "1m30s"), port and expose specs, subnets.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^(\d{1,3}(\.\d{1,3}){3}:|\$\{[A-Z_]+(:-[^}]*)?\}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d+$/);
    const validate = ajv.compile(schema);
    // Validate the file as Compose reads it: YAML merge keys (<<) resolved.
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // And the schema is not vacuous: an unknown service key is rejected.
    expect(validate({ services: { x: { image: 'a', imagee: 'b' } } })).toBe(false);
    expect(validate({ services: { x: { image: 'a', healthcheck: { interval: 'often' } } } })).toBe(false);
  });

  test('the whole stack is there', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'alertmanager',
        'alertmanager-config',
        'exporter',
        'grafana',
        'loader',
        'minio',
        'mysql',
        'mysqld-exporter',
        'node-exporter',
        'prometheus',
        'reconciler',
        'redis',
        'redis-exporter',
        'spark-master',
        'spark-worker',
      ].sort(),
    );
    expect(compose.services.loader.command).toEqual(['loader', 'serve']);
    expect(compose.services.reconciler.command).toEqual(['reconciler', 'serve']);
    expect(compose.services.exporter.command).toEqual(['exporter']);
    for (const s of ['loader', 'reconciler', 'exporter']) expect(compose.services[s].build).toEqual({ context: '..', dockerfile: 'provisioning/Dockerfile' });
    expect(compose.services.mysql.image).toMatch(/^mysql:8/);
    expect(compose.services.grafana.image).toMatch(/^grafana\/grafana(-enterprise)?:12\./);
  });

  test('every long-running service restarts and has a health check (except FROM-scratch images)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (name === 'alertmanager-config') {
        expect(s.restart).toBe('no'); // one-shot
        continue;
      }
      expect({ name, restart: s.restart }).toEqual({ name, restart: 'unless-stopped' });
      if (name !== 'redis-exporter') expect({ name, healthcheck: Array.isArray(s.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    }
  });

  test('no control port is published; what is published binds 127.0.0.1 by default', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) expect({ name, port: p }).toEqual({ name, port: expect.stringMatching(/^(127\.0\.0\.1|\$\{GRAFANA_BIND:-127\.0\.0\.1\}):/) });
      if (['loader', 'reconciler', 'exporter', 'mysql', 'redis'].includes(name)) expect({ name, ports: s.ports }).toEqual({ name, ports: undefined });
    }
  });

  test('secrets come from Docker secrets, not from environment values', () => {
    for (const [name, file] of Object.entries(compose.secrets)) expect({ name, file: file.file }).toEqual({ name, file: `./secrets/${name}` });
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|TOKEN|SECRET/.test(k) && !/_FILE$/.test(k)) throw new Error(`${name}: ${k}=${v} puts a secret in the environment`);
      }
      for (const secret of s.secrets ?? []) expect(compose.secrets[secret]).toBeDefined();
    }
    const pw = compose.services.loader.environment!;
    expect(pw.PIPEWARDEN_TOKEN_FILE).toBe('/run/secrets/pipewarden_token');
    expect(pw.PIPEWARDEN_MYSQL_PASSWORD_FILE).toBe('/run/secrets/mysql_password');
    // The env files of the repository are examples without secrets.
    for (const f of ['pipewarden.env.example', 'alertmanager.env.example']) expect(readFileSync(join(PROVISIONING, f), 'utf8')).not.toMatch(/PASSWORD=|TOKEN=|SECRET/);
  });

  test('MySQL is durable with binlog and LOAD DATA; Redis persists with AOF', () => {
    const mysql = compose.services.mysql.command!;
    for (const flag of ['--innodb-flush-log-at-trx-commit=1', '--sync-binlog=1', '--local-infile=1', '--log-bin=mysql-bin']) expect(mysql).toContain(flag);
    const redis = compose.services.redis.command!.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--appendfsync everysec');
  });

  test('Grafana gets the plugin (unsigned allowed), the provisioning and the dashboards', () => {
    const g = compose.services.grafana;
    expect(g.volumes).toContain('../grafana-plugin/dist:/var/lib/grafana/plugins/pipewarden-pipeline-app:ro');
    expect(g.environment!.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe('pipewarden-pipeline-app');
    // Every variable the Grafana provisioning files expand is set for the container.
    const provisioning = ['datasources/pipewarden.yml', 'plugins/pipewarden-app.yml'].map((f) => readFileSync(join(PROVISIONING, 'grafana', f), 'utf8')).join('\n');
    const used = [...provisioning.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]);
    expect(used.sort()).toEqual(['PIPEWARDEN_LOADER_URL', 'PIPEWARDEN_PROMETHEUS_URL', 'PIPEWARDEN_RECONCILER_URL', 'PIPEWARDEN_TOKEN']);
    // The app provisioning sets every jsonData key the plugin's routes use.
    const pluginJson = readFileSync(join(PROVISIONING, '..', 'grafana-plugin', 'src', 'plugin.json'), 'utf8');
    const app = parse(readFileSync(join(PROVISIONING, 'grafana', 'plugins', 'pipewarden-app.yml'), 'utf8')) as { apps: { type: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[] };
    expect(app.apps[0].type).toBe((JSON.parse(pluginJson) as { id: string }).id);
    for (const [, key] of pluginJson.matchAll(/\.JsonData\.(\w+)/g)) expect(Object.keys(app.apps[0].jsonData)).toContain(key);
    for (const [, key] of pluginJson.matchAll(/\.SecureJsonData\.(\w+)/g)) expect(Object.keys(app.apps[0].secureJsonData)).toContain(key);
    for (const v of used.filter((x) => x !== 'PIPEWARDEN_TOKEN')) expect(g.environment![v]).toBeDefined();
    // `$$` is Compose's escape for a literal `$`: the shell, not Compose, reads the secret.
    expect(g.entrypoint!.join(' ')).toContain('PIPEWARDEN_TOKEN="$$(cat /run/secrets/pipewarden_token)"');
    // Mounted folders exist in the repository.
    for (const v of g.volumes!.filter((x) => x.startsWith('./'))) expect(existsSync(join(PROVISIONING, v.split(':')[0]))).toBe(true);
  });

  test('Alertmanager starts after its configuration is rendered and can read its secret files', () => {
    expect(compose.services.alertmanager.depends_on).toEqual({ 'alertmanager-config': { condition: 'service_completed_successfully' } });
    const rendered = readFileSync(join(PROVISIONING, 'alertmanager', 'alertmanager.yml'), 'utf8');
    for (const secret of compose.services.alertmanager.secrets!) expect(rendered + JSON.stringify(compose.services['alertmanager-config'].environment)).toContain(`/run/secrets/${secret}`);
  });
});

describe('systemd units', () => {
  const units = ['pipewarden-loader.service', 'pipewarden-reconciler.service', 'pipewarden-exporter.service'];
  const haveSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'pw-systemd-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test.each(units)('%s: settings, hardening and its command', (unit) => {
    const text = readFileSync(join(PROVISIONING, 'systemd', unit), 'utf8');
    expect(text).toContain('EnvironmentFile=/etc/pipewarden/pipewarden.env');
    for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'User=pipewarden', 'Restart=on-failure']) expect(text).toContain(line);
    const cmd = { 'pipewarden-loader.service': 'loader serve', 'pipewarden-reconciler.service': 'reconciler serve', 'pipewarden-exporter.service': 'exporter' }[unit]!;
    expect(text).toMatch(new RegExp(`^ExecStart=/usr/bin/node --max-semi-space-size=4 /usr/local/lib/node_modules/pipewarden/dist/pipewarden\\.cjs ${cmd}$`, 'm'));
    // Writers of the WAL may write there, and nowhere else; the exporter writes nowhere.
    if (unit === 'pipewarden-exporter.service') expect(text).not.toContain('ReadWritePaths');
    else expect(text).toContain('ReadWritePaths=/var/lib/pipewarden');
  });

  (haveSystemd ? test.each(units) : test.skip.each(units))('%s: systemd-analyze verify is clean and exposure stays low', (unit) => {
    // verify checks that ExecStart's binary exists: point it at this machine's node.
    const copy = join(work, unit);
    writeFileSync(copy, readFileSync(join(PROVISIONING, 'systemd', unit), 'utf8').replace('/usr/bin/node', process.execPath));
    const v = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(`${v.stdout}${v.stderr}`.trim()).toBe('');
    expect(v.status).toBe(0);
    const s = spawnSync('systemd-analyze', ['security', '--offline=yes', copy], { encoding: 'utf8' });
    const m = /Overall exposure level for .*?: ([0-9.]+)/.exec(`${s.stdout}${s.stderr}`);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.5);
  });
});
