// Every intent the WAL still holds, committed or not. readWalState answers "which batches
// are in doubt"; the reconciler also needs the committed ones, because a MySQL with relaxed
// durability can lose commits it acknowledged (the WAL keeps recent resolved segments for
// exactly this window).
import { readFileSync } from 'node:fs';
import { decodeFrames, listSegments, type IntentRecord } from '@pipewarden/core';

/** Intents of every writer's segments, by batch id, in log order. */
export function readWalIntents(dir: string): Map<string, IntentRecord> {
  const intents = new Map<string, IntentRecord>();
  for (const seg of listSegments(dir)) {
    // A torn tail ends the readable records of its segment; readers stop there.
    for (const r of decodeFrames(readFileSync(seg.path)).records) if (r.t === 'intent') intents.set(r.id, r);
  }
  return intents;
}
