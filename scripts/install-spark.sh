#!/usr/bin/env bash
# Install what the Spark engine needs: a project-local Python virtual environment (.venv)
# holding a pinned pyspark (which ships spark-submit and Spark's jars). Called by
# scripts/bootstrap.sh; safe to run again (a stamp file makes the second run instant).
#
# No Java on the machine is not an error for the bootstrap: the Spark engine is optional,
# so we say what to install and exit 0; the Spark tests then skip with the same message.
set -euo pipefail
cd "$(dirname "$0")/.."
QUIET=0; [ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "install-spark: $*"; }

# Spark 3.5 runs on Java 8/11/17; Debian 12 ships 17. The job hands rows between the JVM
# and Python as Arrow batches (DataFrame.mapInArrow), which needs pyarrow and pandas; these
# pins are versions Spark 3.5 supports (pyarrow >= 4, pandas >= 1.0.5, numpy 1.x).
PYSPARK_VERSION=3.5.7
PACKAGES=("pyspark==$PYSPARK_VERSION" "pyarrow==15.0.2" "pandas==2.1.4" "numpy==1.26.4")
VENV=.venv
STAMP="$VENV/.pipewarden-spark-$(printf '%s ' "${PACKAGES[@]}" | cksum | cut -d' ' -f1)"

if ! command -v java >/dev/null 2>&1; then
  echo "install-spark: Java is not installed, so the Spark engine (PIPEWARDEN_ENGINE=spark) cannot run." >&2
  echo "install-spark: install Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless), then run scripts/install-spark.sh again." >&2
  exit 0
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*/\1/p' | head -1)
if [ "${java_major:-0}" = 1 ]; then java_major=8; fi  # "1.8.0_x" is Java 8
case "$java_major" in
  8|11|17) ;;
  *) echo "install-spark: found Java ${java_major:-unknown}; Spark $PYSPARK_VERSION supports Java 8, 11 and 17 (install openjdk-17-jre-headless and make it the default java)." >&2 ;;
esac

if [ -f "$STAMP" ] && [ -x "$VENV/bin/spark-submit" ]; then
  say "pyspark $PYSPARK_VERSION (${PACKAGES[*]}) already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  python3 -m venv "$VENV" || { echo "install-spark: 'python3 -m venv' failed; install python3-venv (apt-get install python3-venv) and run this again" >&2; exit 1; }
fi
say "installing ${PACKAGES[*]} into $VENV (about 450 MB, once)"
# pip's notes about unused local indexes are noise here; real failures still print and fail.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" 2> >(grep -v "is ignored: it is neither" >&2)
"$VENV/bin/python" -c "import pyspark, pyarrow, pandas; assert pyspark.__version__ == '$PYSPARK_VERSION', pyspark.__version__"
rm -f "$VENV"/.pipewarden-spark-* "$VENV"/.pipewarden-pyspark-*
touch "$STAMP"
say "pyspark $PYSPARK_VERSION ready: $VENV/bin/spark-submit"
