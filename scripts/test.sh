#!/usr/bin/env bash
# `npm test`: type check, lint, unit tests, integration tests (real services started per
# suite), the Grafana plugin's tests and promtool checks. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "typecheck";          npx tsc -p tsconfig.json
step "lint";               npx eslint --max-warnings 0 .
# Unused files, exports and dependencies, and dependencies a package uses without listing
# them (knip.jsonc says where each workspace starts; the Grafana app is its own project).
step "unused code";        npm run --silent lint:unused
# Repeated blocks of 8 lines / 70 tokens or more in TypeScript and Python (.jscpd.json):
# any is a failure; factor it out.
step "repeated code";      npm run --silent lint:repeated
step "unit tests";         npx jest --selectProjects unit --ci
if [ -x .venv/bin/python ]; then
  step "spark job (python)"; .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'
fi
step "integration tests";  npx jest --selectProjects integration --ci --runInBand
# The nemesis (test/soak.ts) on fixed seeds, each a workload and fault schedule; any
# invariant violation fails the run. Its last line is RESULT {json}. The seeds are
# schedules that once found bugs (the deterministic guards are the itests named in
# docs/architecture.md), drawn when every object was plain CSV (--formats csv draws them
# again exactly); about 2 minutes. Replay one seed:
# npm run soak -- --engines inline --formats csv --seed S --trials 1
NEMESIS_SEEDS="4,11,36,39,57,61,102,103,114,118,124,132,134,136,140,141,143,146,148,157,158,164,169,5061"
step "nemesis soak";       npm run --silent soak -- --engines inline --formats csv --seeds "$NEMESIS_SEEDS"
# Seeds drawn with every engine allowed (each drew the inline engine): 92 re-reads an
# object's short last batch without a checkpoint.
step "nemesis soak (any engine)"; npm run --silent soak -- --formats csv --seeds 92
# Objects stored gzip, zstd and Parquet under faults: Parquet with MySQL killed (24002),
# replaced mid-load with S3 killed (24005), beside zstd and CSV (24008); gzip with S3
# killed (24016); Parquet with four batches in flight on two connections, the loader killed
# after batch 3's intent (31014: intents out of batch order, loader/src/batch-turns.ts).
# About 40 seconds.
step "nemesis soak (formats)"; npm run --silent soak -- --engines inline --seeds 24002,24005,24008,24016,31014
if [ -f grafana-plugin/package.json ]; then
  step "grafana plugin";   npm --prefix grafana-plugin run --silent test:ci
fi
