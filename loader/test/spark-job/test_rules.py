"""pwnorm (header mapping, normalization) and pwvec against core's reference rules, on the
vectors rules_vectors.ts wrote from rulesFor(spec) for several specs (NYC, the three
data/datasets fixtures, one of every type's options): same header maps and errors, same
TSV bytes, oddity columns and reject reasons.

    .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'
"""
import json
import os
import unittest

import pyarrow as pa

import spark_job  # noqa: F401  (the job's folder on sys.path, first)
import pwcsv
import pwnorm
import pwvec
import transform

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "rules_vectors.json"), encoding="utf-8") as f:
    VECTORS = json.load(f)


def records(v):
    """(header index, fields, expected outcome as (tsv, odd) or reason) of a spec's vectors."""
    base_tsv = v["baseTsv"].split("\t")
    for r in v["records"]:
        out = r["out"]
        if "vary" in r:
            i, value = r["vary"]
            fields = list(v["base"])
            fields[i] = value
            if "reason" in out:
                want = out["reason"]
            else:
                tsv = list(base_tsv)
                tsv[i] = out["field"]
                want = ("\t".join(tsv), out["odd"])
        else:
            fields = r["fields"]
            want = out["reason"] if "reason" in out else (out["tsv"], out["odd"])
        yield r["header"], fields, want


def csv_line(fields):
    """A CSV line whose splitter fields are `fields` (quoted where needed)."""
    out = []
    for f in fields:
        if any(c in f for c in ',"\r\n') or f.startswith('"'):
            f = '"%s"' % f.replace('"', '""')
        out.append(f)
    return ",".join(out).encode("utf-8")


class RulesVectorsTest(unittest.TestCase):
    def test_there_are_vectors_for_several_specs(self):
        refs = [v["ref"] for v in VECTORS]
        self.assertIn("builtin:nyc-parking-violations", refs)
        self.assertGreaterEqual(len(refs), 5)
        # keyless, composite key, decimals, datetimes among them
        self.assertTrue(any(not v["spec"]["key"] for v in VECTORS))
        self.assertTrue(any(len(v["spec"]["key"]) > 1 for v in VECTORS))
        types = {c["type"] for v in VECTORS for c in v["spec"]["columns"]}
        self.assertEqual(types, {"string", "integer", "decimal", "boolean", "date", "time", "datetime", "enum", "pattern"})

    def test_header_mapping(self):
        for v in VECTORS:
            for case in v["headers"]:
                with self.subTest(spec=v["ref"], header=case["header"]):
                    if "error" in case:
                        with self.assertRaises(pwnorm.HeaderError) as e:
                            pwnorm.map_header(v["spec"], case["header"])
                        self.assertEqual(str(e.exception), case["error"])
                    else:
                        m = pwnorm.map_header(v["spec"], case["header"])
                        self.assertEqual({"fieldIndex": m.field_index, "fieldCount": m.field_count, "absent": m.absent, "unknown": m.unknown}, case["map"])

    def test_normalization_line_by_line(self):
        for v in VECTORS:
            norms = {}
            n = 0
            for h, fields, want in records(v):
                if h not in norms:
                    norms[h] = pwnorm.Normalizer(v["spec"], pwnorm.map_header(v["spec"], v["headers"][h]["header"]))
                tsv, odd = norms[h].normalize(fields)
                got = odd if tsv is None else (tsv, odd)
                self.assertEqual(got, want, "%s: %r" % (v["ref"], fields))
                n += 1
            self.assertGreater(n, 100)

    def test_vector_path_agrees_where_it_takes_a_line(self):
        """pwvec on the CSV lines of the vectors: every line it takes gives the reference's
        body; every kept row on a simple line (printable ASCII, nothing to escape) is taken."""
        for v in VECTORS:
            by_header = {}
            for h, fields, want in records(v):
                by_header.setdefault(h, []).append((fields, want))
            for h, rows in by_header.items():
                hmap = pwnorm.map_header(v["spec"], v["headers"][h]["header"])
                vec = pwvec.VectorNormalizer(v["spec"], hmap)
                lines = [csv_line(f) for f, _ in rows]
                taken, bodies, odd_counts = vec.normalize(pa.array(lines, pa.binary()))
                got = iter(bodies.to_pylist())
                expected_odd = [0] * len(v["spec"]["columns"])
                n_taken = 0
                for (fields, want), line, is_taken in zip(rows, lines, taken.to_pylist()):
                    simple_kept = isinstance(want, tuple) and all(0x20 <= b < 0x7F and b not in b'\\"' for b in line)
                    if simple_kept:
                        self.assertTrue(is_taken, "%s: pwvec left a simple kept line: %r" % (v["ref"], line))
                    if not is_taken:
                        continue
                    n_taken += 1
                    self.assertIsInstance(want, tuple, "%s: pwvec took a rejected line: %r" % (v["ref"], line))
                    self.assertEqual(next(got), "K\t%s\t%s" % (",".join(map(str, want[1])), want[0]), "%s: %r" % (v["ref"], line))
                    for i in want[1]:
                        expected_odd[i] += 1
                self.assertEqual(odd_counts, expected_odd, v["ref"])
                if h == 0:
                    self.assertGreater(n_taken, 20, v["ref"])

    def test_a_partition_gives_the_same_output_both_ways(self):
        for v in VECTORS:
            header = v["headers"][0]["header"]
            # Records with a line feed in a quoted field are left out: as Spark reads a file
            # (lineSep "\n") they are two lines, which leave a quote open, and the whole
            # partition would take the splitting path both ways (the comparison would be moot).
            lines = [csv_line(header)] + [csv_line(f) for h, f, _ in records(v) if h == 0 and b"\n" not in csv_line(f)]
            results = []
            vectored = []
            for vector in (True, False):
                out = []
                acc = type("Acc", (), {"add": lambda self, x: out.append(x)})()
                t = transform.make_transform(v["spec"], None, header, None, True, pwcsv.MAX_RECORD_BYTES, acc)
                n = len(lines)
                batch = pa.RecordBatch.from_arrays([pa.array([0] * n, pa.int64()), pa.array(lines, pa.binary()), pa.array([999] * n, pa.int64()),
                                                    pa.array([len(ln) for ln in lines], pa.int64())], ["b", "v", "e", "n"])
                saved = transform.vector_partition
                if vector:
                    transform.vector_partition = lambda *a: vectored.append(saved(*a)) or vectored[-1]
                else:
                    transform.vector_partition = lambda *a: None  # force the splitting path
                try:
                    text = [x for b in t(iter([batch])) for x in b.column(0).to_pylist()]
                finally:
                    transform.vector_partition = saved
                results.append((text, out[0]))
            self.assertTrue(vectored and all(r is not None for r in vectored), "%s: the vector path did not run" % v["ref"])
            self.assertEqual(results[0], results[1], v["ref"])


if __name__ == "__main__":
    unittest.main()
