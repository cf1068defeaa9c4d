// The dataset a configuration loads: one resolved spec per spec reference, read once per
// process (a spec is part of a deployment, like its code: change it, restart).
import type { Config } from '../config';
import { UserError } from '../errors';
import { ownTableProblem, readSpec } from './load';
import type { ResolvedSpec } from './types';

const cache = new Map<string, ResolvedSpec>();

/**
 * The resolved spec of `config.dataset` (builtin:NAME or a file path), with `config.table`
 * replacing the spec's table when set; a UserError naming the problem otherwise.
 */
export function datasetOf(config: Pick<Config, 'dataset'> & Partial<Pick<Config, 'table'>>): ResolvedSpec {
  const id = config.table ? `${config.dataset}\0${config.table}` : config.dataset;
  let spec = cache.get(id);
  if (!spec) {
    const own = config.table ? ownTableProblem(config.table) : null;
    if (own) throw new UserError(`cannot load into table ${config.table}: ${own}`, 'choose another table (--table, PIPEWARDEN_TABLE or the pipeline\'s `table`)');
    const read = readSpec(config.dataset);
    spec = config.table ? { ...read, table: config.table } : read;
    cache.set(id, spec);
  }
  return spec;
}
