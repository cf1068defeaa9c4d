"""The original 2018 pipeline's method, kept as the baseline pipewarden is measured against:
Spark reads the CSV (or a Parquet file, for the Parquet benchmark) and appends it to MySQL
with Spark's JDBC writer. Nothing is
checkpointed and nothing is idempotent: running it twice appends every row twice (its
table, created by Spark, has no key), and a crash mid-write leaves a partial load.

    spark-submit --jars mariadb-java-client.jar --driver-class-path mariadb-java-client.jar \
        jdbc_baseline.py --spec RESOLVED_SPEC.json --input FILE \
        --url jdbc:mysql://127.0.0.1:3306/db --user root --table violations_2018

It writes the dataset's columns (the resolved spec's) as text, the ones the file has (the
2018 job wrote 10 of NYC's 43; all of them make the volume comparable with pipewarden's),
mapped by header name or alias like pipewarden does.
"""
import argparse
import json
import os
import sys
import time

# The job's rules (pwnorm.py) live with the Spark engine's job.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "loader", "src", "engine", "spark", "job"))
import pwnorm  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--spec", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--url", required=True, help="jdbc:mysql://host:port/database (jdbc:mysql so that Spark uses its MySQL dialect)")
    p.add_argument("--user", default="root")
    p.add_argument("--table", default="violations_2018")
    p.add_argument("--batchsize", type=int, default=1000)
    args = p.parse_args(argv)
    spec = pwnorm.load_spec(args.spec)

    from pyspark.sql import SparkSession, functions as F

    t0 = time.time()
    spark = SparkSession.builder.appName("pipewarden-jdbc-baseline").getOrCreate()
    if args.input.endswith(".parquet"):
        df = spark.read.parquet(args.input)  # Spark's own reader; the columns go out as text, like the CSV's
        df = df.select(*[F.col("`%s`" % c).cast("string").alias(c) for c in df.columns])
    else:
        df = spark.read.option("header", "true").option("inferSchema", "false").csv(args.input)
    # Spark's CSV reader keeps header text as is (trailing spaces included): mapped by
    # pipewarden's own rule (pwnorm.map_header, the port of core's mapSpecHeader).
    try:
        header = pwnorm.map_header(spec, df.columns)
    except pwnorm.HeaderError as e:
        raise SystemExit("PIPEWARDEN_ERROR " + str(e))
    cols = [F.col("`%s`" % df.columns[i]).alias(c["name"]) for c, i in zip(spec["columns"], header.field_index) if i >= 0]
    out = df.select(*cols)
    (
        out.write.mode("append")
        .format("jdbc")
        .option("url", args.url)
        .option("driver", "org.mariadb.jdbc.Driver")
        .option("dbtable", args.table)
        .option("user", args.user)
        .option("password", os.environ.get("PIPEWARDEN_MYSQL_PASSWORD", ""))
        .option("batchsize", str(args.batchsize))
        .save()
    )
    sys.stderr.write("PIPEWARDEN_PROGRESS " + json.dumps({"phase": "jdbc", "state": "done", "seconds": round(time.time() - t0, 3)}) + "\n")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
