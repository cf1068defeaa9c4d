"""Hand-checked values of the generic rules (pwformat, pwnorm), one per point of the shared
semantics (core/src/dataset/types.ts, formats.ts; core/src/record/scan.ts). The exhaustive
comparison with core's reference is test_rules.py; these say what the rules ARE.

    .venv/bin/python -m unittest discover -s loader/test/spark-job -p 'test_*.py'
"""
import unittest

import spark_job  # noqa: F401  (the job's folder on sys.path, first)
import pwformat
import pwnorm
import test_specs

ALL = test_specs.spec("loader/test/spark-job/testdata/all-types.yaml")
FAA = test_specs.spec("data/datasets/faa-bird-strikes/spec.yaml")  # keyless
COLS = {c["name"]: c for c in ALL["columns"]}


def value(name, s):
    return pwnorm.value_fn(COLS[name])(s)


class ValueRules(unittest.TestCase):
    def test_integer(self):
        self.assertEqual(value("qty", "007"), "7")
        self.assertEqual(value("qty", "-007"), "-7")
        self.assertEqual(value("qty", "-0"), "0")
        self.assertEqual(value("qty", "-9223372036854775808"), "-9223372036854775808")
        for bad in ("+1", "1.0", "-", "١٢", "9223372036854775808", "1e3"):
            self.assertEqual(value("qty", bad), pwnorm.ODD, bad)
        # bounds beyond 2^63, compared exactly
        self.assertEqual(value("big", "18446744073709551615"), "18446744073709551615")
        self.assertEqual(value("big", "18446744073709551616"), pwnorm.ODD)
        self.assertEqual(value("big", "999999999999999999"), pwnorm.ODD)

    def test_decimal(self):  # precision 7, scale 3, [-1000.5, 9999.999]
        self.assertEqual(value("amount", "1.5"), "1.500")
        self.assertEqual(value("amount", ".5"), "0.500")
        self.assertEqual(value("amount", "5."), "5.000")
        self.assertEqual(value("amount", "-0.000"), "0.000")
        self.assertEqual(value("amount", "0009999.999"), "9999.999")  # leading zeros do not count
        self.assertEqual(value("amount", "-1000.5"), "-1000.500")
        for bad in ("1.2345", "10000", "-1000.501", "1.0000", ".", "-", "+1", "1,5", "1e3"):
            self.assertEqual(value("amount", bad), pwnorm.ODD, bad)  # never rounded
        self.assertEqual(value("ratio", "12"), "12")  # scale 0: no point written
        self.assertEqual(value("ratio", "12.0"), pwnorm.ODD)

    def test_boolean_and_enum(self):
        self.assertEqual(value("paid", "JA"), "1")
        self.assertEqual(value("paid", "Nein"), "0")
        self.assertEqual(value("paid", "1"), pwnorm.ODD)  # not one of this column's spellings
        self.assertEqual(value("status", "CLOSED"), "Closed")  # the spec's spelling
        self.assertEqual(value("status", "ünknown"), "Ünknown")
        self.assertEqual(value("grade", "a"), "a")  # case-sensitive
        self.assertEqual(value("grade", "b"), pwnorm.ODD)

    def test_pattern_and_string(self):
        self.assertEqual(value("code", "AB123"), "ab123")  # case: lower
        self.assertEqual(value("code", "ab1234"), pwnorm.ODD)
        self.assertEqual(value("code", "ǅx1"), pwnorm.ODD)  # ASCII classes only
        self.assertEqual(value("note", "😀😀😀"), "😀😀😀")  # 6 UTF-16 units
        self.assertEqual(value("note", "😀😀😀x"), pwnorm.ODD)  # 7
        self.assertEqual(value("note", "x"), pwnorm.ODD)  # minLength 2
        self.assertEqual(value("note", "a\tb"), "a\\tb")  # written TSV-escaped

    def test_dates_and_times(self):
        self.assertEqual(value("day", "29.2.2000"), "2000-02-29")
        self.assertEqual(value("day", "2000-02-27"), pwnorm.ODD)  # before the window
        self.assertEqual(value("day", "29.2.2001"), pwnorm.ODD)  # not a real date
        self.assertEqual(value("at", "1/1/2001 6:30 am"), "2001-01-01 06:30:00")
        self.assertEqual(value("at", "1/1/2001 6:29 AM"), pwnorm.ODD)  # window starts 06:30
        self.assertEqual(value("at", "3/14/2025 12:05 A"), "2025-03-14 00:05:00")  # 12 A is midnight
        self.assertEqual(value("at", "3/14/2025 12:05 PM"), "2025-03-14 12:05:00")
        self.assertEqual(value("at", "3/14/2025 1:05 P"), "2025-03-14 13:05:00")
        self.assertEqual(value("at", "203006302359"), "2030-06-30 23:59:00")
        self.assertEqual(value("at", "203007010000"), pwnorm.ODD)
        self.assertEqual(value("opens", "0000A"), "00:00:00")  # 00 A: midnight
        self.assertEqual(value("opens", "0030P"), "00:30:00")  # P adds 12 to hours 1-11 only
        self.assertEqual(value("opens", "1159P"), "23:59:00")
        self.assertEqual(value("opens", "1300P"), pwnorm.ODD)
        self.assertEqual(value("opens", "9:05"), "09:05:00")
        self.assertEqual(value("opens", "24:00:00"), pwnorm.ODD)

    def test_a_one_or_two_digit_token_takes_two_digits_when_there(self):
        # No backtracking: "M0D" on "105" reads month 10, then wants a literal 0.
        rule = pwformat.TemporalRule({"type": "date", "formats": ["YYYY-M0D"], "min": "1000-01-01", "max": "9999-12-31"})
        self.assertIsNone(rule.value("2020-105"))
        self.assertEqual(rule.value("2020-1005"), "2020-10-05")


class Rows(unittest.TestCase):
    def norm(self, spec, header):
        return pwnorm.Normalizer(spec, pwnorm.map_header(spec, header))

    def test_composite_key_and_required_columns(self):
        header = ["Item Code", "Day", "Amount", "Note"]  # an alias; optional columns absent
        hmap = pwnorm.map_header(ALL, header)
        self.assertEqual(hmap.absent, ["paid", "status", "grade", "at", "opens", "qty", "big", "ratio"])
        n = pwnorm.Normalizer(ALL, hmap)
        self.assertEqual(n.normalize(["AB12", "2020-01-02", "3", "ok"]),
                         ("ab12\t2020-01-02\t3.000\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tok\t\\N", []))
        # The first failing required column in spec order decides the reason.
        self.assertEqual(n.normalize(["AB12", "", "x", "ok"]), (None, "missing_key"))
        self.assertEqual(n.normalize(["AB12", "2020-01-02", "x", ""]), (None, "invalid_value"))
        self.assertEqual(n.normalize(["AB12", "2020-01-02", "1", " "]), (None, "missing_value"))
        self.assertEqual(n.normalize(["A", "2020-01-02", "1", "ok"]), (None, "invalid_key"))
        self.assertEqual(n.normalize(["AB12", "2020-01-02", "1"]), (None, "column_count"))

    def test_keyless_rows_and_oddities(self):
        header = [c["header"] for c in FAA["columns"]]
        n = self.norm(FAA, header)
        row = ["KJFK", "B737", "C", "1/8/1990", "", "", "Climb", "Huge", "", "", "12.5", "", "1.239", "300"]
        tsv, odd = n.normalize(row)
        self.assertEqual(tsv.split("\t")[:4], ["KJFK", "B737", "\\N", "1990-01-08"])
        self.assertEqual(tsv.split("\t")[10:], ["12.50", "\\N", "\\N", "300"])
        self.assertEqual(odd, [2, 7, 12])  # damage "C", size "Huge", cost 1.239 (3 decimals)
        row[3] = "12/31/1989"  # before the window of a required date
        self.assertEqual(n.normalize(row), (None, "invalid_value"))

    def test_header_errors(self):
        with self.assertRaises(pwnorm.HeaderError) as e:
            pwnorm.map_header(ALL, ["Code", "Amount", "Note"])
        self.assertEqual(str(e.exception), 'header lacks 1 required column(s): "Day" (found: "Code", "Amount", "Note")')
        with self.assertRaises(pwnorm.HeaderError) as e:
            pwnorm.map_header(ALL, ["Code", "Item Code", "Day", "Amount", "Note"])
        self.assertEqual(str(e.exception), 'header names column "code" more than once ("Code", "Item Code")')
        world = test_specs.spec("data/datasets/world-population/spec.yaml")  # extraColumns: reject
        with self.assertRaises(pwnorm.HeaderError) as e:
            pwnorm.map_header(world, ["Country Name", "Country Code", "Year", "Value", " Notes "])
        self.assertEqual(str(e.exception), 'header has column(s) the dataset world-population does not know: "Notes" (the spec says extraColumns: reject)')
        hmap = pwnorm.map_header(ALL, ["\ufeffCODE", "day", "Amount", "Note", "Comment", "Other"])
        self.assertEqual(hmap.unknown, ["Other"])  # Comment is a known extra


if __name__ == "__main__":
    unittest.main()
