import type { RejectReason } from '../dataset/types';

/** An input record that cannot be kept, with where it came from and why. */
export interface DeadLetter {
  /** 1-based line number in the source object where the record starts. */
  line: number;
  reason: RejectReason;
  detail?: string;
  /** The record's bytes as read (may be invalid UTF-8). */
  raw: Buffer;
}

/** Raw bytes kept per dead letter; longer records are cut (the cut is recorded in detail). */
export const DEAD_LETTER_MAX_RAW = 8 << 20;

export function encodeDeadLetters(list: readonly DeadLetter[]): Buffer {
  return Buffer.from(JSON.stringify(list.map((d) => ({ l: d.line, r: d.reason, d: d.detail, b: d.raw.toString('base64') }))));
}

export function decodeDeadLetters(buf: Buffer): DeadLetter[] {
  const list = JSON.parse(buf.toString('utf8')) as { l: number; r: RejectReason; d?: string; b: string }[];
  return list.map((x) => ({ line: x.l, reason: x.r, detail: x.d, raw: Buffer.from(x.b, 'base64') }));
}
