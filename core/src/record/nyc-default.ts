// TRANSITION ONLY: the pre-issue-15 free functions, now thin wrappers over the rules of the
// built-in NYC spec, for callers not yet converted to rulesFor(datasetOf(config))
// (bench/load.ts uses mapHeader and normalizeRecord). Delete once nothing imports them.
import { DEFAULT_DATASET } from '../dataset/load';
import { datasetOf } from '../dataset/of-config';
import type { HeaderMap } from './header';
import type { NormalizeResult, OddityCounter } from './normalize';
import { rulesFor, type RowRules } from './rules';

function nyc(): RowRules {
  return rulesFor(datasetOf({ dataset: DEFAULT_DATASET }));
}

/** @deprecated use rulesFor(spec).mapHeader */
export function mapHeader(header: readonly string[]): HeaderMap {
  return nyc().mapHeader(header);
}

/** @deprecated use rulesFor(spec).normalizeRecord */
export function normalizeRecord(record: readonly string[], map: HeaderMap, oddities: OddityCounter): NormalizeResult {
  return nyc().normalizeRecord(record, map, oddities);
}
