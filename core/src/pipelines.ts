// Several pipelines in one deployment. A pipeline = a name + a source + a dataset spec + an
// engine + its own batch and connection settings; everything else (MySQL, Redis, S3, the
// services) is the deployment's. Code that works on one pipeline takes the Config that
// `pipelineConfig` derives: its source, dataset, engine and settings, and its own state —
// WAL and checkpoint folder, Redis mirror keys, batch ids — so the single-pipeline code
// (load, sink, reconcile, verify) runs per pipeline unchanged. The pipeline named `default`
// keeps the single-pipeline layout, so a deployment that grows a second pipeline keeps the
// first one's WAL, checkpoint, mirror and ledger as they are.
import { join } from 'node:path';
import { DEFAULT_PIPELINE, type Config, type PipelineDef } from './config';
import { datasetOf } from './dataset/of-config';
import { UserError } from './errors';

/** A pipeline: as the config file declares it, or the `default` one, whose source is the top-level one (unset until a command gives it). */
export type Pipeline = Omit<PipelineDef, 'source'> & { source?: string };

/** The deployment's pipelines: the config file's `pipelines`, else one `default` pipeline from the top-level settings. */
export function pipelinesOf(config: Config): Pipeline[] {
  if (!config.pipelines || config.pipelines.length === 0) {
    return [{ name: DEFAULT_PIPELINE, source: config.source, dataset: config.dataset, ...(config.table && { table: config.table }), engine: config.engine }];
  }
  const seen = new Map<string, number>();
  config.pipelines.forEach((p, i) => {
    if (seen.has(p.name)) throw new UserError(`pipelines[${i}] is named "${p.name}" like pipelines[${seen.get(p.name)}]: pipeline names must differ`);
    seen.set(p.name, i);
  });
  return config.pipelines;
}

/** Names of the deployment's pipelines. */
export function pipelineNames(config: Config): string[] {
  return pipelinesOf(config).map((p) => p.name);
}

export interface PipelineConfigOptions {
  /** Share the deployment's MySQL connections among all pipelines (a service running them all); default false: this pipeline alone gets them. */
  shareConnections?: boolean;
}

/** The WAL and checkpoint folder of a pipeline: the configured one for `default`, a sub-folder for the others. */
export function pipelineWalDir(baseWalDir: string, name: string): string {
  return name === DEFAULT_PIPELINE ? baseWalDir : join(baseWalDir, 'pipelines', name);
}

/** The Redis key prefix of a pipeline's mirror: the configured one for `default`. */
function pipelineKeyPrefix(basePrefix: string, name: string): string {
  return name === DEFAULT_PIPELINE ? basePrefix : `${basePrefix}pipeline:${name}:`;
}

/** The deployment's own Redis prefix (PIPEWARDEN_REDIS_KEY_PREFIX) from a pipeline's Config: keys every pipeline shares (the total rate caps). */
export function deploymentKeyPrefix(config: Config): string {
  const own = pipelineKeyPrefix('', config.pipeline);
  return config.redis.keyPrefix.endsWith(own) ? config.redis.keyPrefix.slice(0, config.redis.keyPrefix.length - own.length) : config.redis.keyPrefix;
}

/**
 * The Config of one pipeline (`name` defaults to config.pipeline). Flags and environment
 * values for source, dataset, table and engine apply to the `default` pipeline and to a
 * pipeline the config file does not give them; a pipeline's own settings win over the
 * top-level ones. Throws a UserError naming the pipelines when `name` is not one of them.
 */
export function pipelineConfig(config: Config, name: string = config.pipeline, opts: PipelineConfigOptions = {}): Config {
  const all = pipelinesOf(config);
  const p = all.find((x) => x.name === name);
  if (!p) throw new UserError(`no pipeline "${name}" (pipelines: ${all.map((x) => x.name).join(', ')})`, 'name one of them with --pipeline or PIPEWARDEN_PIPELINE');
  const connections = p.mysql?.connections ?? (opts.shareConnections ? Math.max(1, Math.floor(config.mysql.connections / all.length)) : config.mysql.connections);
  const table = p.table ?? (config.pipelines ? undefined : config.table);
  return {
    ...config,
    pipeline: p.name,
    source: p.source,
    sourceMatch: p.sourceMatch ?? (config.pipelines ? undefined : config.sourceMatch),
    onChange: p.onChange ?? config.onChange,
    dataset: p.dataset,
    ...(table ? { table } : { table: undefined }),
    engine: p.engine ?? config.engine,
    batch: { size: p.batch?.size ?? config.batch.size, pipelineDepth: p.batch?.pipelineDepth ?? config.batch.pipelineDepth },
    mysql: { ...config.mysql, connections },
    wal: { ...config.wal, dir: pipelineWalDir(config.wal.dir, p.name) },
    redis: { ...config.redis, keyPrefix: pipelineKeyPrefix(config.redis.keyPrefix, p.name) },
    rate: { ...config.rate, ...p.rate },
  };
}

/** Every pipeline's Config, checked: their tables must differ (a table has one pipeline, so one order of its rows). */
export function allPipelineConfigs(config: Config, opts: PipelineConfigOptions = {}): Config[] {
  const configs = pipelinesOf(config).map((p) => pipelineConfig(config, p.name, opts));
  const byTable = new Map<string, string>();
  for (const c of configs) {
    const table = datasetOf(c).table;
    const other = byTable.get(table);
    if (other) throw new UserError(`pipelines "${other}" and "${c.pipeline}" both load table ${table}: give one of them another table (its spec's table, or \`table\` in the pipeline)`);
    byTable.set(table, c.pipeline);
  }
  return configs;
}

/** The named pipeline's Config, or every pipeline's (checked) when no name is given. */
export function selectedPipelineConfigs(config: Config, name?: string | null, opts: PipelineConfigOptions = {}): Config[] {
  return name ? [pipelineConfig(config, name, opts)] : allPipelineConfigs(config, opts);
}
