// Text comparisons the spec loader and the row rules share. Kept apart from load.ts so the
// row rules (core/src/record/*) do not pull the spec parser's dependencies (ajv, yaml).

/** Header comparison key: trimmed, inner whitespace collapsed, lower case, BOM removed. */
export function headerKey(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Compare two canonical decimal strings. */
export function compareDecimal(a: string, b: string): number {
  const neg = (s: string) => s.startsWith('-');
  if (neg(a) !== neg(b)) return neg(a) ? -1 : 1;
  const sign = neg(a) ? -1 : 1;
  const [ai, af = ''] = a.replace('-', '').split('.');
  const [bi, bf = ''] = b.replace('-', '').split('.');
  if (ai.length !== bi.length) return sign * (ai.length - bi.length);
  if (ai !== bi) return sign * (ai < bi ? -1 : 1);
  const n = Math.max(af.length, bf.length);
  const x = af.padEnd(n, '0'), y = bf.padEnd(n, '0');
  return x === y ? 0 : sign * (x < y ? -1 : 1);
}
