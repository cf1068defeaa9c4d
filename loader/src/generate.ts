// Synthetic NYC parking violations with the real data's shapes and oddities, deterministic
// by seed, fast enough for 10M rows in minutes (one string per row, no per-field objects).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { COLUMNS, VIOLATION_SPEC } from '@pipewarden/core';

/** Small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  rows: number;
  seed?: number;
  /** Share of rows that cannot be kept (bad key, wrong column count, bad quote, invalid UTF-8). */
  badShare?: number;
  /** Share of rows that repeat an earlier summons number. */
  duplicateShare?: number;
  /** First summons number (default BASE_KEY); files with disjoint ranges share no key. */
  keyBase?: number;
  /** Add the Kaggle export's 8 empty geographic columns. */
  kaggle?: boolean;
  crlf?: boolean;
}

export interface GenerateStats {
  rows: number;
  bad: number;
  duplicates: number;
  bytes: number;
}

const STATES = ['NY', 'NJ', 'PA', 'CT', 'FL', 'MA', 'VA', 'MD', 'NC', 'IN', '99'];
const PLATE_TYPES = ['PAS', 'COM', 'OMT', 'SRF', 'OMS', '999', 'APP', 'MOT'];
const BODIES = ['SUBN', '4DSD', 'VAN', 'DELV', 'PICK', '2DSD', 'SDN', 'P-U', 'TRAC'];
const MAKES = ['FORD', 'TOYOT', 'HONDA', 'NISSA', 'CHEVR', 'FRUEH', 'ME/BE', 'BMW', 'DODGE', 'INTER'];
const STREETS = ['BROADWAY', 'W 175 ST', '3RD AVE', 'LEXINGTON AVE', 'QUEENS BLVD', 'ATLANTIC AVE', 'E 86 ST', 'FULTON ST'];
const COLORS = ['GY', 'WH', 'BK', 'BL', 'RD', 'GREY', 'WHITE', 'BROWN', ''];
const COUNTIES = ['NY', 'K', 'Q', 'BX', 'R', ''];
const DESCRIPTIONS = ['', '', '', '"NO PARKING-STREET CLEANING"', '"FIRE HYDRANT, WITHIN 15 FT"', '"DOUBLE PARKING"'];

export const BASE_KEY = 1_000_000_000;

/** The i-th unique key: a bijection of [0, n) scrambled so keys arrive in random order. */
export function scrambledKey(i: number, n: number, base = BASE_KEY): number {
  // 7919 is prime: i → i·7919 mod m is a permutation when m is not a multiple of it
  const m = n % 7919 === 0 ? n + 1 : n;
  return base + ((i * 7919 + 12345) % m);
}

export async function generate(out: string, opts: GenerateOptions, onProgress?: (rows: number) => void): Promise<GenerateStats> {
  const rnd = prng(opts.seed ?? 1);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const badShare = opts.badShare ?? 0.01;
  const dupShare = opts.duplicateShare ?? 0.001;
  const eol = opts.crlf ? '\r\n' : '\n';
  const extra = opts.kaggle ? ',,,,,,,,' : '';
  const headers = COLUMNS.map((c) => c.header);
  // The real export's header has the trailing spaces after "Days Parking In Effect".
  const header = headers.map((h) => (h === 'Days Parking In Effect' ? 'Days Parking In Effect    ' : h)).join(',') + (opts.kaggle ? ',' + VIOLATION_SPEC.ignoredHeaders.join(',') : '');
  const ws = createWriteStream(out, { highWaterMark: 4 << 20 });
  let buf = header + eol;
  let bytes = 0;
  let bad = 0;
  let duplicates = 0;
  const pad = (n: number) => (n < 10 ? '0' + n : String(n));
  for (let i = 0; i < opts.rows; i++) {
    let key: string = String(scrambledKey(i, opts.rows, opts.keyBase));
    if (i > 10 && rnd() < dupShare) {
      key = String(scrambledKey(Math.floor(rnd() * i), opts.rows, opts.keyBase));
      duplicates++;
    }
    const y = 2013 + (rnd() < 0.45 ? 0 : 1);
    const month = 1 + Math.floor(rnd() * 12);
    let issue = `${pad(month)}/${pad(1 + Math.floor(rnd() * 28))}/${y}`;
    if (rnd() < 0.002) issue = '02/29/2014'; // impossible date, kept as NULL
    const h = 1 + Math.floor(rnd() * 12);
    let time = `${pad(h)}${pad(Math.floor(rnd() * 60))}${rnd() < 0.5 ? 'A' : 'P'}`;
    if (rnd() < 0.002) time = '5436P';
    const exp = rnd() < 0.05 ? '88888888' : `${2014 + Math.floor(rnd() * 2)}${pad(1 + Math.floor(rnd() * 12))}${pad(1 + Math.floor(rnd() * 28))}`;
    const vyear = rnd() < 0.1 ? '0' : String(1990 + Math.floor(rnd() * 25));
    const precinct = String(Math.floor(rnd() * 123));
    const code = String(1 + Math.floor(rnd() * 99));
    let row =
      `${key},${Math.floor(rnd() * 78364164096).toString(36).toUpperCase()},${pick(STATES)},${pick(PLATE_TYPES)},${issue},${code},${pick(BODIES)},${pick(MAKES)},P,` +
      `${Math.floor(rnd() * 90000)},${Math.floor(rnd() * 90000)},${Math.floor(rnd() * 90000)},${exp},${pad(Number(precinct) % 100).padStart(4, '0')},${precinct},${precinct},` +
      `${Math.floor(rnd() * 999999)},${pad(Number(precinct) % 100).padStart(4, '0')},0000,${time},,${pick(COUNTIES)},${rnd() < 0.5 ? 'F' : 'O'},${Math.floor(rnd() * 2000)},` +
      `${pick(STREETS)},,0,408,${pick(['F1', 'C', 'D', 'E2', 'J6'])},,BBBBBBB,ALL,ALL,${pick(COLORS)},0,${vyear},-,0,,${pick(DESCRIPTIONS)},,,` +
      extra;
    if (rnd() < badShare) {
      bad++;
      const kind = Math.floor(rnd() * 5);
      if (kind === 0) row = row.replace(/^\d+/, '');  // missing key
      else if (kind === 1) row = row.replace(/^\d+/, 'X' + key);  // invalid key
      else if (kind === 2) row = row + ',extra';  // column count
      else if (kind === 3) row = row.replace(/,BBBBBBB,/, ',"BBB"BB,');  // characters after a closing quote
      else row = row.replace(/^\d+/, '0');  // zero is not a summons number
    }
    buf += row + eol;
    if (buf.length > 1 << 20) {
      bytes += Buffer.byteLength(buf);
      if (!ws.write(buf)) await once(ws, 'drain');
      buf = '';
      onProgress?.(i + 1);
    }
  }
  bytes += Buffer.byteLength(buf);
  ws.end(buf);
  await once(ws, 'finish');
  onProgress?.(opts.rows);
  return { rows: opts.rows, bad, duplicates, bytes };
}
