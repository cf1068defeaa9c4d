// Small generated sources for the dataset integration tests (test/dataset-*.itest.ts):
// deterministic by seed, with repeated keys (readings) or identical rows (events).
import { writeFileSync } from 'node:fs';
import { prng } from '@pipewarden/loader';

/** A seeded generator (the generator's own): the same seed, the same file. */
export const seeded = prng;

const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `rows` readings over 40 stations × 30 days (1,200 keys: most keys repeat, across batches),
 * each occurrence with other values; station codes in mixed case (the spec upper-cases).
 * Returns the CSV lines too (header first).
 */
export function writeReadings(file: string, rows: number, seed: number): string[] {
  const r = seeded(seed);
  const stations = Array.from({ length: 40 }, (_, i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[i % 26] + 'xyzw'.slice(0, 3).split('').map((c, j) => String.fromCharCode(97 + ((i * 7 + j * 3) % 26))).join(''));
  const lines = ['Station,Day,Amount,OK,Taken At,Note'];
  for (let i = 0; i < rows; i++) {
    const day = `2024-03-${pad(1 + Math.floor(r() * 30))}`;
    const amount = (r() < 0.1 ? '' : (Math.floor(r() * 2000000) / 100 - 5000).toFixed(r() < 0.5 ? 2 : 1));
    const taken = `${day} ${pad(Math.floor(r() * 24))}:${pad(Math.floor(r() * 60))}:${pad(Math.floor(r() * 60))}`;
    lines.push([pick(r, stations), day, amount, pick(r, ['true', 'false', 'yes', '0']), taken, `"occurrence ${i}"`].join(','));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return lines;
}

/** `rows` events, a fifth of them exact repeats of an earlier line (a keyless log's duplicates). */
export function writeEvents(file: string, rows: number, seed: number): string[] {
  const r = seeded(seed);
  const lines = ['At,Kind,Amount,Who'];
  for (let i = 0; i < rows; i++) {
    if (i > 10 && r() < 0.2) {
      lines.push(lines[1 + Math.floor(r() * (lines.length - 1))]);
      continue;
    }
    const at = `2024-0${1 + Math.floor(r() * 9)}-${pad(1 + Math.floor(r() * 28))} ${pad(Math.floor(r() * 24))}:${pad(Math.floor(r() * 60))}:00`;
    lines.push([at, pick(r, ['open', 'CLOSE', 'error', 'bogus']), (r() * 1000).toFixed(3), pick(r, ['ann', 'bob', '', 'cy'])].join(','));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return lines;
}
