// The columns Spark 3.5 cannot read at all refuse the whole file before a job starts (found
// in review: the job failed after staging and a JVM start, while the inline engine reads them).
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { sparkRefuses } from '../src/engine/spark/parquet';
import { parquetColumns } from '../src/engine/parquet/schema';

const columns = (...fields: SchemaElement[]) => parquetColumns('f.parquet', { schema: [{ name: 'root', num_children: fields.length }, ...fields] } as unknown as FileMetaData);
const text = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', logical_type: { type: 'STRING' } }) as SchemaElement;

test('what Spark refuses, named', () => {
  expect(sparkRefuses(columns(text('a'), text('b')))).toBeUndefined();
  expect(sparkRefuses(columns(text('a'), { name: 'id', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } } as SchemaElement))).toBe('column "id" is a Parquet UUID');
  expect(sparkRefuses(columns({ name: 't', type: 'INT32', converted_type: 'TIME_MILLIS' } as SchemaElement))).toBe('column "t" is a Parquet TIME');
  expect(sparkRefuses(columns({ name: 'h', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical_type: { type: 'FLOAT16' } } as SchemaElement))).toBe('column "h" is a Parquet FLOAT16');
  expect(sparkRefuses(columns({ name: 'd', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 18, logical_type: { type: 'DECIMAL', precision: 40, scale: 2 } } as SchemaElement))).toMatch(/column "d" is a DECIMAL of 40 digits/);
  expect(sparkRefuses(columns(text('a'), text('a')))).toBe('two columns are named "a"');
  expect(sparkRefuses(columns(text('_metadata')))).toMatch(/"_metadata"/);
});
