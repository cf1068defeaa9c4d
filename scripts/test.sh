#!/usr/bin/env bash
# `npm test`: type check, lint, unit tests, integration tests (real services started per
# suite), the Grafana plugin's tests and promtool checks. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "typecheck";          npx tsc -p tsconfig.json
step "lint";               npx eslint --max-warnings 0 .
step "unit tests";         npx jest --selectProjects unit --ci
if [ -x .venv/bin/python ]; then
  step "spark job (python)"; .venv/bin/python -m unittest discover -s loader/spark -p 'test_*.py'
fi
step "integration tests";  npx jest --selectProjects integration --ci --runInBand
if [ -f grafana-plugin/package.json ]; then
  step "grafana plugin";   npm --prefix grafana-plugin run --silent test:ci
fi
