// FROZEN BASELINE: the pre-issue-15 compiled NYC rules, kept only so bench/rules.ts (and the
// baseline-equality test) can compare the generic spec-driven rules against them.
export { COLUMNS, COLUMN_NAMES, KEY_INDEX, headerKey } from './spec';
export { mapHeader, type HeaderMap } from './header';
export { OddityCounter, normalizeInto, type Value } from './normalize';
export { encodeTsvLine } from './tsv';
export { fastRow, type RowWriter } from './fast-row';
