// The dataset a configuration loads: one resolved spec per spec reference, read once per
// process (a spec is part of a deployment, like its code: change it, restart).
import type { Config } from '../config';
import { readSpec } from './load';
import type { ResolvedSpec } from './types';

const cache = new Map<string, ResolvedSpec>();

/** The resolved spec of `config.dataset` (builtin:NAME or a file path); a UserError naming the problem otherwise. */
export function datasetOf(config: Pick<Config, 'dataset'>): ResolvedSpec {
  let spec = cache.get(config.dataset);
  if (!spec) {
    spec = readSpec(config.dataset);
    cache.set(config.dataset, spec);
  }
  return spec;
}
