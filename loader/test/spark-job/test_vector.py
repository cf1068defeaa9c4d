"""pwvec (whole-array normalization) against pwnorm (the line-by-line port), and the
transform's vector path against its splitting path, on random lines built from the values
that sit on the rules' edges.

    .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'
"""
import os
import random
import unittest

import pyarrow as pa

import spark_job  # noqa: F401  (the job's folder on sys.path, first)
import pwcsv
import pwnorm
import pwvec
import test_specs
import transform

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = test_specs.spec()  # NYC
SAMPLE = os.path.join(HERE, "..", "..", "..", "data", "nyc-parking-fy2014-sample.csv")
HEADER = [c["header"] for c in SPEC["columns"]]

# Per NYC column (by name, else by type), values on and around the edges of its rule (and
# some that break the line's simplicity: those must fall to the Python port, never be
# normalized wrongly).
EDGES = {
    "key": ["1", "0", "000", "0001283294138", "1283294138", " 42 ", "999999999999999999", "1000000000000000000",
            "9223372036854775807", "9223372036854775808", "12a", "", "-5", "+5", "1.0"],
    "string": ["", " ", "A", " A B ", "ABCDEFGHIJKLMNOPQ", "ABCDEFGH", "ABCDEFGHI", '"Q, R"', '""', '" padded "'],
    "integer": ["", "0", "00", "007", "999", "1000", "99999999", "100000000", "123456789012", "1234567890123", " 12 ",
            "-1", "+1", "1.5", "1e3", "12a", '"42"'],
    "registration_state": ["", "NY", "ny", "nY", "99", "N", "NYC", " NJ ", "N1"],
    "plate_type": ["", "PAS", "pas", "999", "PA", "PASS", " COM "],
    "date": ["", "08/04/2013", "02/29/2012", "02/29/2013", "02/29/1900", "02/29/2000", "20000229", "19000229",
             "20140229", "20130788", "13/01/2013", "00/10/2013", "01/00/2013", "01/32/2013", "04/31/2013",
             "12/31/2099", "01/01/2100", "12/31/1899", "0", "2013-08-04", "8/4/2013", " 08/04/2013 ", "201308041"],
    "time": ["", "0752A", "0752a", "1200A", "1200P", "1259P", "1300P", "0000A", "0000", "2359", "2400", "1260",
             "5436P", "752A", "07520", "0752X", " 0752P "],
    "vehicle_year": ["", "0", "2013", "1899", "1900", "2099", "2100", "201", "20133", " 2013 "],
}


# Values no simple line holds: a line with one of them is the Python port's.
BREAKERS = ["x\\y", "caf\u00e9", "tab\there", 'say ""hi""', "\x01"]


def random_line(rng, header_count):
    fields = []
    for c in SPEC["columns"]:
        v = rng.choice(EDGES["key" if c["key"] else c["name"] if c["name"] in EDGES else c["type"]])
        if rng.random() < 0.003:
            v = rng.choice(BREAKERS)
        if '"' not in v and "," in v:
            v = '"%s"' % v
        fields.append(v)
    line = ",".join(fields)
    if rng.random() < 0.1:
        line += "\r"
    return line.encode("utf-8")


def norms(header):
    hmap = pwnorm.map_header(SPEC, header)
    return pwnorm.Normalizer(SPEC, hmap), pwvec.VectorNormalizer(SPEC, hmap)


def reference(norm, raw):
    """What the line-by-line path writes for one line, or None for a line that is no record."""
    rec, _ = pwcsv.parse_one(raw + b"\n", 0, False)
    if rec.is_blank():
        return None
    return transform.RecordBodies(norm, None, len(SPEC["columns"])).body(rec)


class VectorNormalizerTest(unittest.TestCase):
    def setUp(self):
        self.norm, self.vec = norms(HEADER)

    def check(self, lines):
        simple, bodies, odd = self.vec.normalize(pa.array(lines, pa.binary()))
        got = iter(bodies.to_pylist())
        expected_odd = [0] * len(SPEC["columns"])
        n = 0
        for raw, is_simple in zip(lines, simple.to_pylist()):
            if not is_simple:
                continue
            n += 1
            want = reference(self.norm, raw)
            self.assertEqual(next(got), want, raw)
            for i in filter(None, want.split("\t")[1].split(",")):
                expected_odd[int(i)] += 1
        self.assertEqual(odd, expected_odd)
        return n

    def test_edge_values(self):
        rng = random.Random(7)
        lines = [random_line(rng, len(HEADER)) for _ in range(20000)]
        n = self.check(lines)
        # Enough of them qualify for the test to mean something, and not all (the rest go to pwnorm).
        self.assertGreater(n, 1000)
        self.assertLess(n, len(lines))

    def test_the_real_sample_is_nearly_all_simple(self):
        with open(SAMPLE, "rb") as f:
            lines = f.read().split(b"\n")
        header = [h.decode() for h in pwcsv.parse_one(lines[0] + b"\n", 0, False)[0].fields]
        self.norm, self.vec = norms(header)
        body = [ln for ln in lines[1:] if ln]
        n = self.check(body)
        self.assertGreaterEqual(n, len(body) * 0.99)

    def test_lines_that_are_not_simple(self):
        base = random_line(random.Random(1), len(HEADER)).decode().split(",")
        bad = [
            ",".join(base[:-1]).encode(),  # a field short
            (",".join(base) + ",x").encode(),  # a field too many
            ("caf\u00e9," + ",".join(base[1:])).encode(),  # non-ASCII
            b'"a""b",' + ",".join(base[1:]).encode(),  # an escaped quote
            b'"open,' + ",".join(base[1:]).encode(),  # a quote left open
            b"",  # blank
            b"\xff" + ",".join(base).encode(),  # invalid UTF-8
        ]
        simple, bodies, _ = self.vec.normalize(pa.array(bad, pa.binary()))
        self.assertEqual(simple.to_pylist(), [False] * len(bad))
        self.assertEqual(len(bodies), 0)


class VectorPartitionTest(unittest.TestCase):
    """The transform's two ways through a partition give the same output and counts."""

    def run_transform(self, lines, vector):
        out = []
        acc = type("Acc", (), {"add": lambda self, v: out.append(v)})()
        t = transform.make_transform(SPEC, None, HEADER, None, True, pwcsv.MAX_RECORD_BYTES, acc)
        if not vector:
            transform.vector_partition = lambda *a: None  # force the splitting path
        n = len(lines)
        batch = pa.RecordBatch.from_arrays([pa.array([0] * n, pa.int64()), pa.array(lines, pa.binary()), pa.array([999] * n, pa.int64()),
                                            pa.array([len(ln) for ln in lines], pa.int64())], ["b", "v", "e", "n"])
        try:
            text = [v for b in t(iter([batch])) for v in b.column(0).to_pylist()]
        finally:
            transform.vector_partition = VECTOR_PARTITION
        return text, out[0]

    def test_same_output_both_ways(self):
        rng = random.Random(11)
        lines = [",".join(HEADER).encode()]
        for _ in range(3000):
            r = rng.random()
            lines.append(b"" if r < 0.02 else b"\r" if r < 0.03 else random_line(rng, len(HEADER)))
        vec_text, vec_stats = self.run_transform(lines, True)
        seq_text, seq_stats = self.run_transform(lines, False)
        self.assertEqual(vec_text, seq_text)
        self.assertEqual(vec_stats, seq_stats)
        self.assertEqual(vec_text[0], "#\t0")
        records = sum(1 for t in vec_text if not t.startswith("#"))
        self.assertEqual(vec_text[-1], "#\tend\t999\t%d\t%d\t0" % (len(lines), records))

    def test_an_open_quote_leaves_the_partition_to_the_splitter(self):
        lines = [",".join(HEADER).encode(), b'1,"spans', b'lines",' + b",".join([b""] * (len(HEADER) - 2))]
        vec_text, _ = self.run_transform(lines, True)
        seq_text, _ = self.run_transform(lines, False)
        self.assertEqual(vec_text, seq_text)
        self.assertEqual(len(vec_text), 3)  # the marker, one record spanning lines 2-3, the trailer
        self.assertTrue(vec_text[1].startswith("1\t2\t"))
        self.assertEqual(vec_text[2], "#\tend\t999\t3\t1\t0")

    def test_a_partition_ending_inside_a_record_says_so_in_its_trailer(self):
        lines = [",".join(HEADER).encode(), b"1," + b",".join([b""] * (len(HEADER) - 1)), b'2,"opens here']
        text, stats = self.run_transform(lines, True)
        self.assertEqual(text[-1], "#\tend\t999\t3\t1\t1")  # 3 lines, 1 whole record, a tail
        self.assertEqual(stats["parts"], {0: [3, 1, True]})


VECTOR_PARTITION = transform.vector_partition

if __name__ == "__main__":
    unittest.main()
