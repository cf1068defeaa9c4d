// rules_vectors.json is what test_rules.py holds the Spark job's rules (pwnorm.py, pwvec.py,
// pwformat.py) to: it must be what core's reference rules (rulesFor) give today, for every
// spec it covers (regenerate: npx tsx loader/test/spark-job/rules_vectors.ts).
import { readFileSync } from 'node:fs';
import { VECTORS_PATH, vectors, type SpecVectors } from './spark-job/rules_vectors';

test('the committed rules vectors are what core\'s reference rules give now', () => {
  const committed = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as SpecVectors[];
  const now = vectors();
  expect(now.map((v) => v.ref)).toEqual(committed.map((v) => v.ref));
  // Spec by spec, so a difference names the dataset.
  now.forEach((v, i) => expect([v.ref, v]).toEqual([committed[i].ref, committed[i]]));
});

test('the vectors cover kept rows, oddities and every row reject reason, for a keyless and a composite-key spec', () => {
  const all = vectors();
  const outs = all.flatMap((v) => v.records.map((r) => r.out));
  const reasons = new Set(outs.flatMap((o) => ('reason' in o ? [o.reason] : [])));
  for (const r of ['missing_key', 'invalid_key', 'missing_value', 'invalid_value', 'column_count']) expect(reasons).toContain(r);
  expect(outs.some((o) => 'odd' in o && o.odd.length > 0)).toBe(true);
  expect(all.some((v) => v.spec.key.length === 0)).toBe(true);
  expect(all.some((v) => v.spec.key.length > 1)).toBe(true);
});
