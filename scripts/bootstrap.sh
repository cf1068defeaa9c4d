#!/usr/bin/env bash
# Install what this machine lacks for pipewarden, and only that:
#   - Debian/Ubuntu packages (MariaDB, Redis, Prometheus, Alertmanager, the standard
#     exporters, Chromium for the plugin's browser tests, MariaDB Connector/J for Spark,
#     zstd and bzip2 for the compressed-source tests),
#   - npm dependencies (root workspaces, then the Grafana plugin),
#   - pyspark in .venv (scripts/install-spark.sh) when Java is present, and the S3A
#     connector jars its tests use (scripts/install-s3a-jars.sh).
# Packages are installed without starting their services: pipewarden runs its own.
set -euo pipefail
cd "$(dirname "$0")/.."
QUIET=0; [ "${1:-}" = "--quiet" ] && QUIET=1
# PIPEWARDEN_BOOTSTRAP_SKIP=plugin,spark,s3a leaves out optional parts (the demo needs none).
SKIP=",${PIPEWARDEN_BOOTSTRAP_SKIP:-},"
skipping() { [[ "$SKIP" == *",$1,"* ]]; }
say() { [ "$QUIET" = 1 ] || echo "bootstrap: $*"; }
die() { echo "bootstrap: $*" >&2; exit 1; }
# Quiet or not, a failing step says which it was.
trap 'echo "bootstrap: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || die "Node.js 20 or 22 is required (found $(node -v 2>/dev/null || echo none)). Install it from your distribution or nodejs.org, then run this again."

# binary -> Debian package
declare -A PKG=(
  [mariadbd]=mariadb-server [redis-server]=redis-server [prometheus]=prometheus
  [promtool]=prometheus [prometheus-alertmanager]=prometheus-alertmanager
  [prometheus-node-exporter]=prometheus-node-exporter [prometheus-mysqld-exporter]=prometheus-mysqld-exporter
  [prometheus-redis-exporter]=prometheus-redis-exporter [chromium]=chromium [java]=openjdk-17-jre-headless
  # The tests compress their fixtures with the reference tools (pipewarden decodes in-process).
  [zstd]=zstd [bzip2]=bzip2
)
missing=()
for bin in "${!PKG[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || [ -x "/usr/bin/$bin" ] || missing+=("${PKG[$bin]}")
done
[ -f /usr/share/java/mariadb-java-client.jar ] || missing+=(libmariadb-java)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if ! command -v apt-get >/dev/null 2>&1; then
    die "this is not a Debian/Ubuntu machine (no apt-get). Install these yourself: ${missing[*]}"
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and not root: run 'sudo apt-get install ${missing[*]}'"
    SUDO=sudo
  fi
  say "installing ${missing[*]} (their services are not started)"
  # policy-rc.d 101 = "do not start services from maintainer scripts"
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; created_policy=1
  fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed; run it by hand to see why"
  [ "$created_policy" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
fi

# npm dependencies: reinstall when the lock file changed since the last install.
stamp=node_modules/.pipewarden-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed (see the messages above)"
  cp package-lock.json "$stamp"
fi
if [ -f grafana-plugin/package-lock.json ] && ! skipping plugin; then
  pstamp=grafana-plugin/node_modules/.pipewarden-lock
  if [ ! -f "$pstamp" ] || ! cmp -s grafana-plugin/package-lock.json "$pstamp"; then
    say "npm ci (grafana-plugin)"
    npm --prefix grafana-plugin ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci in grafana-plugin failed (see the messages above)"
    cp grafana-plugin/package-lock.json "$pstamp"
  fi
fi
if [ -x scripts/install-spark.sh ] && ! skipping spark; then
  scripts/install-spark.sh $([ "$QUIET" = 1 ] && echo --quiet)
  if ! skipping s3a; then
    scripts/install-s3a-jars.sh $([ "$QUIET" = 1 ] && echo --quiet) || die "installing the S3A connector for the Spark tests failed (see above); PIPEWARDEN_BOOTSTRAP_SKIP=s3a leaves it out"
  fi
fi
say "ready"
