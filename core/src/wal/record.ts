// WAL record format. Frame: u32 LE payload length, u32 LE CRC32 of the payload, payload
// (UTF-8 JSON). A frame whose length runs past the end of the file or whose CRC does not
// match is a torn write: the writer truncates it on open, readers stop there.
import { crc32 } from 'node:zlib';

const FRAME_HEADER_BYTES = 8;
/** A frame longer than this is corruption, not a record. */
const MAX_RECORD_BYTES = 16 << 20;

/** Where a batch's records live in its source, so it can be read again. */
export interface SourceRange {
  /** Source object key (s3://bucket/key or an absolute file path). */
  key: string;
  etag: string;
  /** Ordinal (1-based, after the header) of the batch's first input record. */
  firstRecord: number;
  /** Input records in the batch (kept + rejected). */
  records: number;
  /** Byte offsets in the object: [startByte, endByte). */
  startByte: number;
  endByte: number;
  /** 1-based line number of the first record (for dead letters). */
  firstLine: number;
  /**
   * Line number after the batch's last record: with endByte, where a read resumes (the
   * ledger keeps both, so a loader without its checkpoint resumes there). Absent when the
   * engine has no byte offsets (Spark) and in records written before it existed.
   */
  nextLine?: number;
}

export interface IntentRecord {
  t: 'intent';
  id: string;
  src: SourceRange;
  /** Rows kept (to be inserted or found duplicate). */
  rows: number;
  rejected: number;
  /** formatChecksum(keyChecksum(distinct keys)) */
  check: string;
  ts: number;
}

interface CommitRecord {
  t: 'commit';
  id: string;
  inserted: number;
  duplicate: number;
  ts: number;
}

/** The loader found the batch already in the ledger (a replay) and wrote nothing. */
interface SkipRecord {
  t: 'skip';
  id: string;
  ts: number;
}

/** The reconciler completed the batch. */
export interface RepairRecord {
  t: 'repair';
  id: string;
  inserted: number;
  run: string;
  source: 'mirror' | 's3' | 'ledger';
  ts: number;
}

/** A reconcile run started/ended, so an interrupted run is visible in the log. */
interface RunRecord {
  t: 'run';
  run: string;
  phase: 'start' | 'end';
  outcome?: string;
  ts: number;
}

export type WalRecord = IntentRecord | CommitRecord | SkipRecord | RepairRecord | RunRecord;

export function encodeRecord(r: WalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(r), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodeResult {
  records: WalRecord[];
  /** Bytes of valid frames from the start of the buffer. */
  validBytes: number;
  /** True when bytes after validBytes do not form a valid frame. */
  torn: boolean;
}

export function decodeFrames(buf: Buffer): DecodeResult {
  const records: WalRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < FRAME_HEADER_BYTES) break;
    const len = buf.readUInt32LE(off);
    if (len > MAX_RECORD_BYTES || off + FRAME_HEADER_BYTES + len > buf.length) break;
    const payload = buf.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len);
    if (crc32(payload) !== buf.readUInt32LE(off + 4)) break;
    let rec: WalRecord;
    try {
      rec = JSON.parse(payload.toString('utf8')) as WalRecord;
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      break; // a frame whose CRC matches but whose payload is not JSON: corruption, stop here
    }
    records.push(rec);
    off += FRAME_HEADER_BYTES + len;
  }
  return { records, validBytes: off, torn: off < buf.length };
}
