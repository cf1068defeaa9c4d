import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors';
import { batchId } from '../src/batch';
import { loadConfig } from '../src/config';
import { datasetOf } from '../src/dataset/of-config';
import { allPipelineConfigs, deploymentKeyPrefix, pipelineConfig, pipelinesOf } from '../src/pipelines';

const env = { PIPEWARDEN_MYSQL_URL: 'mysql://root@127.0.0.1:3306/pw', PIPEWARDEN_WAL_DIR: '/var/lib/pw/wal', PIPEWARDEN_MYSQL_CONNECTIONS: '8' };

function withFile(content: object | string, name = 'pipewarden.json') {
  const dir = mkdtempSync(join(tmpdir(), 'pw-pipelines-'));
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return loadConfig({ env, file, useStackEnv: false, cwd: dir });
}

describe('pipelines', () => {
  test('without `pipelines`: one pipeline, default, with the single-pipeline layout', () => {
    const config = loadConfig({ env: { ...env, PIPEWARDEN_SOURCE: 's3://b/p/' }, useStackEnv: false });
    expect(pipelinesOf(config).map((p) => p.name)).toEqual(['default']);
    const c = pipelineConfig(config);
    expect({ wal: c.wal.dir, prefix: c.redis.keyPrefix, source: c.source, connections: c.mysql.connections }).toEqual({ wal: '/var/lib/pw/wal', prefix: 'pw:', source: 's3://b/p/', connections: 8 });
    expect(batchId('k', 'e', 1)).toBe(batchId('k', 'e', 1, 'default'));
  });

  test('a YAML config file with two pipelines: own state, own settings, a fair share of connections in a service', () => {
    const config = withFile(
      ['pipelines:', '  - name: parking', '    source: s3://nyc/fy2014/', '    dataset: builtin:nyc-parking-violations', '    batch: { size: 2000 }', '  - name: animals', '    source: ./drops/', '    dataset: builtin:nyc-parking-violations', '    table: violations_copy', '    engine: spark', ''].join('\n'),
      'pipewarden.yaml',
    );
    const [parking, animals] = allPipelineConfigs(config, { shareConnections: true });
    expect({ name: parking.pipeline, wal: parking.wal.dir, prefix: parking.redis.keyPrefix, size: parking.batch.size, engine: parking.engine, connections: parking.mysql.connections }).toEqual({ name: 'parking', wal: '/var/lib/pw/wal/pipelines/parking', prefix: 'pw:pipeline:parking:', size: 2000, engine: 'inline', connections: 4 });
    expect({ name: animals.pipeline, table: animals.table, engine: animals.engine, size: animals.batch.size }).toEqual({ name: 'animals', table: 'violations_copy', engine: 'spark', size: 5000 });
    expect(pipelineConfig(config, 'animals').mysql.connections).toBe(8); // alone, a command gets them all
    expect(batchId('k', 'e', 1, 'parking')).not.toBe(batchId('k', 'e', 1, 'animals'));
  });

  test('rate caps: a pipeline may set its own, the totals are the deployment\'s, under the deployment\'s Redis prefix', () => {
    const config = withFile({
      pipelines: [
        { name: 'parking', source: 's3://nyc/fy2014/', dataset: 'builtin:nyc-parking-violations', rate: { rowsPerSecond: 5000 } },
        { name: 'other', source: './drops/', dataset: 'builtin:nyc-parking-violations', table: 'violations_copy' },
      ],
    });
    const withEnv = { ...config, rate: { ...config.rate, rowsPerSecond: 100, totalRowsPerSecond: 9000 } };
    const [parking, other] = allPipelineConfigs(withEnv);
    expect([parking.rate.rowsPerSecond, parking.rate.totalRowsPerSecond, other.rate.rowsPerSecond]).toEqual([5000, 9000, 100]);
    expect([deploymentKeyPrefix(parking), deploymentKeyPrefix(other), deploymentKeyPrefix(pipelineConfig(loadConfig({ env, useStackEnv: false })))]).toEqual(['pw:', 'pw:', 'pw:']);
  });

  test('mistakes are named: an unknown pipeline, a repeated name, two pipelines on one table', () => {
    const two = { pipelines: [{ name: 'a', source: 'x', dataset: 'builtin:nyc-parking-violations' }, { name: 'b', source: 'y', dataset: 'builtin:nyc-parking-violations' }] };
    expect(() => pipelineConfig(withFile(two), 'c')).toThrow(new UserError('no pipeline "c" (pipelines: a, b)'));
    expect(() => allPipelineConfigs(withFile(two))).toThrow('pipelines "a" and "b" both load table violations');
    expect(() => pipelinesOf(withFile({ pipelines: [two.pipelines[0], two.pipelines[0]] }))).toThrow('pipelines[1] is named "a" like pipelines[0]');
    expect(() => withFile({ pipelines: [{ name: 'Bad Name', source: 'x', dataset: 'y' }] })).toThrow(/pipelines\.0\.name.*expected a pipeline name/s);
  });

  test("a table override (--table, PIPEWARDEN_TABLE, a pipeline's table) may not name one of pipewarden's own tables", () => {
    const refused = /cannot load into table batch_ledger: "batch_ledger" is one of pipewarden's own tables/;
    expect(() => datasetOf({ dataset: 'builtin:nyc-parking-violations', table: 'batch_ledger' })).toThrow(UserError);
    expect(() => datasetOf({ dataset: 'builtin:nyc-parking-violations', table: 'batch_ledger' })).toThrow(refused);
    expect(() => datasetOf({ dataset: 'builtin:nyc-parking-violations', table: 'pipewarden_x' })).toThrow(/"pipewarden_x" is one of pipewarden's own tables/);
    const env1 = loadConfig({ env: { ...env, PIPEWARDEN_TABLE: 'batch_ledger' }, useStackEnv: false });
    expect(() => datasetOf(pipelineConfig(env1))).toThrow(refused);
    const file = withFile({ pipelines: [{ name: 'a', source: 'x', dataset: 'builtin:nyc-parking-violations', table: 'schema_migrations' }] });
    expect(() => allPipelineConfigs(file)).toThrow(/cannot load into table schema_migrations/);
    expect(datasetOf({ dataset: 'builtin:nyc-parking-violations', table: 'violations_copy' }).table).toBe('violations_copy');
  });
});
