#!/usr/bin/env python3
"""Write a CSV as Parquet with pyarrow (the .venv's, installed with the Spark engine): the
tests' and benchmarks' independent writer of Parquet files, so the inline engine's reader is
checked against another implementation than its own.

  csv-to-parquet.py SRC DST [--compression snappy|zstd|gzip|none] [--row-group-rows N]
                    [--no-dictionary] [--dictionary-bytes N] [--skip-invalid] [--types "Column=int64,Other=date32[MM/DD/YYYY]"]

Columns are strings unless --types names them: int64, float64, bool, decimal128(P:S),
date32[FORMAT] (FORMAT in strptime terms, e.g. %m/%d/%Y), timestamp[us]. Empty fields
are NULL, and so is a date that does not exist (02/29/2014). Any other value that does not
convert stops the script (fixtures must be exact).
"""
import argparse
import decimal
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

ap = argparse.ArgumentParser()
ap.add_argument('src')
ap.add_argument('dst')
ap.add_argument('--compression', default='snappy')
ap.add_argument('--row-group-rows', type=int, default=1024 * 1024)
ap.add_argument('--no-dictionary', action='store_true')
ap.add_argument('--dictionary-bytes', type=int, default=1 << 20, help='a column chunk whose dictionary grows past this falls back to plain pages')
ap.add_argument('--types', default='')
ap.add_argument('--skip-invalid', action='store_true', help='leave out rows with another field count than the header (counted)')
a = ap.parse_args()

with open(a.src, newline='', encoding='utf-8') as f:
    names = next(iter(__import__('csv').reader(f)))
skipped = []
table = pcsv.read_csv(
    a.src,
    parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=(lambda r: skipped.append(r) or 'skip') if a.skip_invalid else None),
    convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True, null_values=['']),
)
for spec in filter(None, a.types.split(',')):
    name, kind = spec.split('=', 1)
    col = table.column(name)
    if kind.startswith('date32['):
        fmt = kind[len('date32['):-1]
        new = pc.cast(pc.strptime(col, format=fmt, unit='s'), pa.date32())
        # strptime is lenient (02/29/2014 becomes 2014-03-01): a date that does not print back
        # as it was read does not exist, and is written NULL (what a dataset's rules make of it).
        back = pc.strftime(pc.cast(new, pa.timestamp('s')), format=fmt)
        new = pa.array([d if b == v else None for d, v, b in zip(new.to_pylist(), col.to_pylist(), back.to_pylist())], type=pa.date32())
    elif kind.startswith('decimal128('):
        p, s = map(int, kind[len('decimal128('):-1].split(':'))
        new = pa.array([None if v is None else decimal.Decimal(v) for v in col.to_pylist()], type=pa.decimal128(p, s))
    elif kind == 'timestamp[us]':
        new = pc.cast(col, pa.timestamp('us'))
    else:
        new = pc.cast(col, getattr(pa, kind)())
    table = table.set_column(table.schema.get_field_index(name), name, new)

pq.write_table(
    table,
    a.dst,
    compression=None if a.compression == 'none' else a.compression,
    row_group_size=a.row_group_rows,
    data_page_size=1 << 20,
    use_dictionary=not a.no_dictionary,
    dictionary_pagesize_limit=a.dictionary_bytes,
    write_statistics=True,
)
meta = pq.ParquetFile(a.dst).metadata
print(f'{a.dst}: {meta.num_rows} rows in {meta.num_row_groups} row groups, {a.compression}' + (f', {len(skipped)} malformed rows left out' if skipped else ''))
