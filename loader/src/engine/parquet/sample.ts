// The first rows of a Parquet object as text, column names first: what `pipewarden spec
// infer` samples (the CSV path samples the first records the same way). Values are written
// as render.ts writes them for a column the spec does not read (dates and timestamps ISO).
import type { Source, SourceObject } from '../../source/types';
import { ParquetFile } from './file';
import { legacyCalendar } from './calendar';
import { renderer } from './render';

export async function parquetSample(source: Source, object: SourceObject, limit: number, signal: AbortSignal): Promise<{ header: string[]; rows: string[][] }> {
  const file = await ParquetFile.open(source, object, signal, () => undefined);
  const header = file.columns.map((c) => c.name);
  const legacy = legacyCalendar(file.metadata);
  const render = file.columns.map((c) => renderer(c, undefined, legacy));
  const rows: string[][] = [];
  for (const [g, [, groupRows]] of file.rowGroups.entries()) {
    const n = Math.min(groupRows, limit - rows.length);
    if (n <= 0) break;
    const columns = await Promise.all(
      file.columns.map(async (c, f) => {
        const out: unknown[] = [];
        await file.pages(g, c).takeValues(n, out);
        return out.map((v): string => (v === null || v === undefined ? '' : render[f](v)));
      }),
    );
    for (let i = 0; i < n; i++) rows.push(columns.map((col) => col[i]));
  }
  return { header, rows };
}
