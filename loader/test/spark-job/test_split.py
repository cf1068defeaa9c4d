"""Property tests of the splitting shortcuts against the plain splitter, on random inputs
made of the characters that matter to CSV (quotes, commas, CR, LF) and some text.

    .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'

(The byte-for-byte parity with the inline engine itself is tested from TypeScript:
loader/test/spark-parity.itest.ts.)
"""
import random
import unittest

import re

import spark_job  # noqa: F401  (the job's folder on sys.path, first)
import pwcsv
import pwnorm
import test_specs
import transform

ALPHABET = [b'"', b'"', b",", b",", b"\r", b"\n", b"\n", b"a", b"bc", b" ", b"\xff", b'""']


def random_csv(rng, size):
    return b"".join(rng.choice(ALPHABET) for _ in range(size))


def reference_parse_one(buf, start, eof, max_record_bytes):
    """A literal, character-by-character port of CsvRecordReader.parseOne()
    (loader/src/engine/csv-records.ts): the reference for pwcsv's faster one."""
    n = len(buf)
    fields = []
    i = start
    nli = 0

    def malformed(why):
        lf = buf.find(b"\n", start)
        if lf < 0 and not eof:
            return None
        nxt = n if lf < 0 else lf + 1
        ce = n if lf < 0 else lf
        if ce > start and buf[ce - 1] == 13:
            ce -= 1
        return pwcsv.Record([], buf[start:ce], 1, why), nxt

    while True:
        if i < n and buf[i] == 34:
            j = i + 1
            esc = False
            closed = -1
            while j < n:
                c = buf[j]
                if c == 34:
                    if j + 1 < n and buf[j + 1] == 34:
                        esc = True
                        j += 2
                        continue
                    if j + 1 >= n and not eof:
                        return None
                    closed = j
                    break
                if c == 10:
                    nli += 1
                j += 1
            if closed < 0:
                if not eof and j - start <= max_record_bytes:
                    return None
                return malformed(pwcsv.ERR_UNCLOSED)
            text = buf[i + 1:closed]
            if esc:
                text = text.replace(b'""', b'"')
            fields.append(text)
            i = closed + 1
            if i >= n:
                if not eof:
                    return None
                return pwcsv.Record(fields, buf[start:i], 1 + nli), i
            c = buf[i]
            if c == 44:
                i += 1
                continue
            if c == 10:
                return pwcsv.Record(fields, buf[start:i], 1 + nli), i + 1
            if c == 13 and i + 1 < n and buf[i + 1] == 10:
                return pwcsv.Record(fields, buf[start:i], 1 + nli), i + 2
            if c == 13 and i + 1 >= n and not eof:
                return None
            return malformed(pwcsv.ERR_AFTER_QUOTE)
        j = i
        while j < n and buf[j] not in (44, 10):
            j += 1
        if j >= n and not eof:
            return None
        end = j
        if end > i and buf[end - 1] == 13 and (j >= n or buf[j] == 10):
            end -= 1
        fields.append(buf[i:end])
        if j >= n:
            return pwcsv.Record(fields, buf[start:end], 1 + nli), j
        if buf[j] == 44:
            i = j + 1
            continue
        return pwcsv.Record(fields, buf[start:end], 1 + nli), j + 1


def plain(buf, eof):
    """Reference: every record from the literal port, with line offsets and the tail."""
    out = []
    pos = 0
    line = 0
    while pos < len(buf):
        r = reference_parse_one(buf, pos, eof, 64)
        if r is None:
            return out, (pos, line)
        rec, nxt = r
        out.append((rec.fields, rec.raw, rec.lines, rec.error, line))
        line += rec.lines
        pos = nxt
    return out, None


class SplitShortcuts(unittest.TestCase):
    def test_fast_paths_cut_the_same_records(self):
        rng = random.Random(1)
        for _ in range(3000):
            buf = random_csv(rng, rng.randint(0, 60))
            for eof in (False, True):
                want, want_tail = plain(buf, eof)
                sp = pwcsv.split_records(buf, eof, 64)
                got = [(r.fields, r.raw, r.lines, r.error, off) for r, off in sp]
                self.assertEqual(got, want, buf)
                self.assertEqual(sp.tail, want_tail, buf)

    def test_summarize_lines_equals_summarize(self):
        rng = random.Random(2)
        for _ in range(3000):
            # Up to 200 bytes, and a limit of 64: records and lines over it too.
            lines = random_csv(rng, rng.randint(0, 200)).split(b"\n")
            data = b"\n".join(lines) + b"\n"
            a = transform.summarize(data, False, 64)
            b = transform.summarize_lines(lines, {}, 64)
            for k in ("n_all", "n_blank", "first_fields", "first_blank", "tail_pos", "tail_line"):
                self.assertEqual(b[k], a[k], (k, lines))

    def test_one_line_record_pattern(self):
        match = transform._ONE_LINE_RECORD.fullmatch
        for line in [b"", b"a,b", b'"a,b",c', b'"a""b"', b'a"b,c', b'"x"\r', b'""', b"a,\r"]:
            self.assertIsNotNone(match(line), line)
        for line in [b'"open', b'"a"b', b'a,"b', b'"a"\rb', b'x,"y""']:
            self.assertIsNone(match(line), line)


class OpenAtLineEnd(unittest.TestCase):
    def test_the_jvm_pattern_finds_exactly_the_lines_that_continue(self):
        # Spark runs OPEN_AT_LINE_END with Java's regex engine; Python's (3.11+) reads the
        # same possessive syntax, with \\Z for Java's \\z.
        pattern = re.compile(transform.OPEN_AT_LINE_END.replace("\\z", "\\Z"))
        rng = random.Random(3)
        alphabet = [b'"', b'"', b",", b",", b"\r", b"a", b"bc", b'""']
        for _ in range(20000):
            line = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
            continues = pwcsv.parse_one(line + b"\n", 0, False, 1 << 20) is None
            self.assertEqual(pattern.match(line.decode()) is not None, continues, line)


class NormalizerAfterPickling(unittest.TestCase):
    def test_oddities_survive_the_trip_to_a_spark_worker(self):
        # Spark ships the normalizer to its Python workers with cloudpickle.
        from pyspark import cloudpickle

        spec = test_specs.spec()
        header = [c["header"] for c in spec["columns"]]
        norm = cloudpickle.loads(cloudpickle.dumps(pwnorm.Normalizer(spec, pwnorm.map_header(spec, header))))
        row = ["" for _ in header]
        row[0] = "0042"
        row[2] = "99"  # a state that is not two letters: NULL, counted
        row[4] = "02/29/2016"
        for _ in range(2):  # the second time from the value cache
            tsv, odd = norm.normalize(row)
            fields = tsv.split("\t")
            self.assertEqual(fields[0], "42")
            self.assertEqual(fields[2], "\\N")
            self.assertEqual(fields[4], "2016-02-29")
            self.assertEqual(odd, [2])


if __name__ == "__main__":
    unittest.main()
