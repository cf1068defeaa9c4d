"""Typed Parquet files for the engines' Parquet parity test (loader/test/spark-parquet.itest.ts),
written by pyarrow: the columns of all-types.yaml as Parquet types rather than text, with
values each rule accepts, refuses or counts, NULLs, text that needs quoting or is not UTF-8,
and columns the spec does not read.

    python typed_parquet.py OUT_DIR ROWS SEED

writes OUT_DIR/typed.parquet (microsecond timestamps, float32 ratios, several row groups),
OUT_DIR/typed-int96.parquet (INT96 timestamps in dictionary pages, float64, zstd),
OUT_DIR/typed-ms.parquet (millisecond timestamps, plain pages, gzip),
OUT_DIR/no-note.parquet (lacks a required column: every row is a bad_header dead letter)
OUT_DIR/time.parquet (a TIME column: the Spark engine refuses it), and legacy.parquet and
legacy-3x.parquet (Spark's hybrid Julian calendar, see legacy_files)."""
import datetime
import decimal
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def columns(n, seed):
    r = random.Random(seed)

    def maybe(make, p=0.06):
        return [None if r.random() < p else make() for _ in range(n)]

    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

    def instant():
        t = datetime.datetime(2000, 6, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=r.randint(0, 30 * 365 * 86400))
        if r.random() < 0.1:
            t += datetime.timedelta(microseconds=r.randint(1, 999_999))  # a fraction DATETIME refuses
        if r.random() < 0.05:
            t = epoch - datetime.timedelta(seconds=r.randint(1, 10**9))  # before 1970 (and below the column's min)
        return t

    def amount():
        x = decimal.Decimal(r.randint(-20_000_000, 120_000_000)).scaleb(-4)
        return x if r.random() < 0.7 else x.quantize(decimal.Decimal("0.001"))

    notes = [b"ok", b"a,b", b's "hi"', b"l1\nl2", b"t\tab", b"\xff\xfe", b"", "\u00e9t\u00e9".encode(),
             b"toolongnote", b"back\\sl", b" pad ", b"x", b"\xe2\x82\xac12", b"cr\rx"]
    return {
        "Code": pa.array(maybe(lambda: r.choice(["ab1", "AB12", "xy999", "Q1", "ab1234", "ab 12", "\u00e7d12", "zz7"])), pa.string()),
        "Day": pa.array(maybe(lambda: datetime.date(2000, 1, 1) + datetime.timedelta(days=r.randint(-400, 12000))), pa.date32()),
        "Amount": pa.array(maybe(amount, 0.03), pa.decimal128(12, 4)),
        "Paid": pa.array(maybe(lambda: r.random() < 0.5), pa.bool_()),
        "Status": pa.array(maybe(lambda: r.choice(["Open", "Closed", "\u00dcnknown", "open", "Pending", ""])), pa.string()),
        "Grade": pa.array(maybe(lambda: r.choice(["A", "a", "B", "b"])), pa.string()),
        "At": pa.array(maybe(instant), pa.timestamp("us", tz="UTC")),
        "Opens": pa.array(maybe(lambda: r.choice(["0930A", "12:30:00", "7:05", "9.15 PM", "25:00"])), pa.string()),
        "Qty": pa.array(maybe(lambda: r.choice([r.randint(-(2**63), 2**63 - 1), r.randint(-1000, 1000), 0])), pa.int64()),
        "Big": pa.array(maybe(lambda: r.choice([2**64 - 1, r.randint(10**18, 2**64 - 1), r.randint(0, 10**6)])), pa.uint64()),
        "Note": pa.array(maybe(lambda: r.choice(notes), 0.03), pa.binary()),
        "Ratio": pa.array(maybe(lambda: r.choice([0.1, 1e21, 1.25e-7, -0.0, 16777217.0, r.uniform(-1e4, 1e4), float(r.randint(0, 9999))])), pa.float32()),
        # Columns the spec does not read: a known extra, and an unknown one of a type nothing renders.
        "Comment": pa.array(maybe(lambda: r.uniform(0, 1)), pa.float64()),
        "Raw Bytes": pa.array(maybe(lambda: bytes([r.randint(0, 255) for _ in range(4)])), pa.binary(4)),
    }


def main(out, n, seed):
    os.makedirs(out, exist_ok=True)
    cols = columns(n, seed)
    typed = pa.table(cols)
    pq.write_table(typed, os.path.join(out, "typed.parquet"), row_group_size=max(1, n // 7), compression="snappy")
    # INT96 (as older Spark and Impala write; dictionary pages) and doubles for the ratios, zstd.
    old = typed.set_column(typed.schema.get_field_index("Ratio"), "Ratio", pa.compute.cast(cols["Ratio"], pa.float64()))
    pq.write_table(old, os.path.join(out, "typed-int96.parquet"), row_group_size=max(1, n // 3), compression="zstd",
                   use_deprecated_int96_timestamps=True)
    # Milliseconds, plain pages, gzip.
    ms = old.set_column(old.schema.get_field_index("At"), "At", pa.compute.cast(cols["At"], pa.timestamp("ms", tz="UTC"), safe=False))
    pq.write_table(ms, os.path.join(out, "typed-ms.parquet"), row_group_size=max(1, n // 2), compression="gzip", use_dictionary=False)
    pq.write_table(typed.drop(["Note"]), os.path.join(out, "no-note.parquet"), row_group_size=max(1, n // 2))
    with_time = typed.append_column("Closes", pa.array([datetime.time(17, 30)] * n, pa.time32("ms")))
    pq.write_table(with_time, os.path.join(out, "time.parquet"))
    legacy_files(out, n, seed)


def legacy_files(out, n, seed):
    """Files with the footer keys of Spark's hybrid Julian calendar and dates from year 1 to
    2014: legacy.parquet as Spark 2.4 writes (dates and INT96 timestamps in the hybrid
    calendar), legacy-3x.parquet as Spark 3.3 in LEGACY mode (dates and microsecond
    timestamps of instants; INT96 not, having no legacyINT96 key), legacy-3x-ntz.parquet
    the same with local date-times, which are not rebased."""
    r = random.Random(seed + 1)
    old = [datetime.date(1, 1, 1), datetime.date(1000, 6, 15), datetime.date(1500, 2, 28), datetime.date(1582, 10, 4),
           datetime.date(1582, 10, 15), datetime.date(1899, 12, 31), datetime.date(2014, 1, 1)]
    day = [r.choice(old) for _ in range(n)]
    at = [datetime.datetime.combine(r.choice(old), datetime.time(r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))) for _ in range(n)]
    base = columns(n, seed)
    base["Day"] = pa.array(day, pa.date32())
    base["At"] = pa.array(at, pa.timestamp("us", tz="UTC"))
    table = pa.table(base)
    spark24 = table.replace_schema_metadata({"org.apache.spark.version": "2.4.8"})
    pq.write_table(spark24, os.path.join(out, "legacy.parquet"), row_group_size=max(1, n // 3), use_deprecated_int96_timestamps=True)
    legacy3 = {"org.apache.spark.version": "3.3.0", "org.apache.spark.legacyDateTime": ""}
    pq.write_table(table.replace_schema_metadata(legacy3), os.path.join(out, "legacy-3x.parquet"), row_group_size=max(1, n // 3))
    # Local date-times (TIMESTAMP_NTZ to Spark) are not rebased; the dates still are.
    ntz = table.set_column(table.schema.get_field_index("At"), "At", pa.array(at, pa.timestamp("us")))
    pq.write_table(ntz.replace_schema_metadata(legacy3), os.path.join(out, "legacy-3x-ntz.parquet"), row_group_size=max(1, n // 3))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
