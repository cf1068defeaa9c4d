"""The Spark job's Parquet renderer (pwparquet.render) against the inline engine's
(loader/src/engine/parquet/render.ts): render_vectors.json holds values as Spark hands
them over with the texts the inline engine writes for the same stored values. Regenerate
with `npx tsx loader/test/spark-job/render_vectors.ts`; a unit test fails when it is stale.

    .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'
"""
import json
import os
import unittest
from decimal import Decimal

import pyarrow as pa

import spark_job  # noqa: F401  (the job's folder on sys.path, first)
import pwparquet

HERE = os.path.dirname(os.path.abspath(__file__))


def arrow(kind, values, spec):
    if kind == "float32":
        return pa.array([float(v) for v in values], pa.float32())
    if kind == "float64":
        return pa.array([float(v) for v in values], pa.float64())
    if kind == "date32":
        return pa.array(values, pa.int32()).cast(pa.date32())
    if kind == "timestamp_us":
        # As Spark hands a TimestampType over: microseconds, in the session's zone (UTC).
        return pa.array([int(v) for v in values], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    if kind == "int64":
        return pa.array([int(v) for v in values], pa.int64())
    if kind == "decimal":
        return pa.array([Decimal(v).scaleb(-spec["scale"]) for v in values], pa.decimal128(38, spec["scale"]))
    if kind == "bool":
        return pa.array(values, pa.bool_())
    raise ValueError(kind)


class RenderVectors(unittest.TestCase):
    def test_every_vector(self):
        with open(os.path.join(HERE, "render_vectors.json"), encoding="utf-8") as f:
            cases = json.load(f)
        self.assertGreater(sum(len(c["values"]) for c in cases), 3000)
        for c in cases:
            got = [b.decode("utf-8") for b in pwparquet.render(arrow(c["arrow"], c["values"], c["spec"]), c["spec"]).to_pylist()]
            for v, want, have in zip(c["values"], c["texts"], got):
                self.assertEqual(have, want, "%s %s %r (format %s)" % (c["spec"]["kind"], c["arrow"], v, c["spec"].get("tokens")))


class Hand(unittest.TestCase):
    """What render.ts's unit tests say, for the port (hand-checked)."""

    def test_numbers(self):
        self.assertEqual(pwparquet.float32_text(float(pa.array([0.1], pa.float32())[0].as_py())), "0.1")
        self.assertEqual(pwparquet.js_plain(1e21), "1000000000000000000000")
        self.assertEqual(pwparquet.js_plain(-1.25e-7), "-0.000000125")
        self.assertEqual(pwparquet.js_plain(-0.0), "0")

    def test_clocks(self):
        self.assertEqual(pwparquet.write(pwparquet.clock_of(-1, "999999"), None, "datetime"), "1969-12-31 23:59:59.999999")
        self.assertEqual(pwparquet.write(pwparquet.clock_of(1400000000, ""), [{"kind": "year"}, {"kind": "literal", "text": "-"}, {"kind": "month", "digits": 2}], "datetime"),
                         "2014-05-13 16:53:20")  # the format cannot hold the time of day: ISO, whole


if __name__ == "__main__":
    unittest.main()
