import type { IntentRecord } from '@pipewarden/core';
import { NOTHING_DONE, batchRepairRows, candidateIds, compareSource, firstOccurrences, inSourceOrder, incomplete, keylessBatchVerified, runOutcome, runVerdict } from '../src/plan';

function intent(id: string, key: string, firstRecord: number): IntentRecord {
  return { t: 'intent', id, src: { key, etag: 'e', firstRecord, records: 1000, startByte: 0, endByte: 1, firstLine: firstRecord + 1 }, rows: 1000, rejected: 0, check: '0:0', ts: 0 };
}

/** A TSV line whose key is `key` and whose payload says which batch it came from. */
const line = (key: string, from: string) => `${key}\t${from}`;
/** The key text of these lines: the first field (rules.keyOfLine of a spec keyed by its first column). */
const keyOf = (l: string) => l.split('\t')[0];

describe('candidateIds', () => {
  test('every WAL intent, committed or not, then the mirror-only ids, each once', () => {
    const wal = new Map([
      ['b1', intent('b1', 'k', 1)],
      ['b2', intent('b2', 'k', 1001)],
    ]);
    expect(candidateIds(wal, ['b2', 'b3', 'b0'])).toEqual(['b1', 'b2', 'b3', 'b0']);
  });

  test('the ledger decides which are incomplete', () => {
    expect(incomplete(['b1', 'b2', 'b3'], new Set(['b2']))).toEqual(['b1', 'b3']);
  });
});

describe('source order', () => {
  test('by object key, then first record (not WAL or mirror order)', () => {
    const items = [
      { intent: intent('c', 's3://b/2014-02.csv', 1) },
      { intent: intent('b', 's3://b/2014-01.csv', 2001) },
      { intent: intent('a', 's3://b/2014-01.csv', 1001) },
      { intent: intent('d', 's3://b/2014-01.csv', 1) },
    ];
    expect(inSourceOrder(items).map((i) => i.intent.id)).toEqual(['d', 'a', 'b', 'c']);
  });

  test('compares numerically within an object', () => {
    expect(compareSource(intent('x', 'k', 9001).src, intent('y', 'k', 10001).src)).toBeLessThan(0);
    expect(compareSource(intent('x', 'k', 1).src, intent('y', 'k', 1).src)).toBe(0);
  });
});

describe('firstOccurrences', () => {
  test('keeps only missing keys, the first line of a key repeated inside the batch', () => {
    const lines = [line('1', 'A:first'), line('2', 'A'), line('1', 'A:second'), line('3', 'A')];
    expect(firstOccurrences(lines, new Set(['1', '3']), new Set(), keyOf)).toEqual([line('1', 'A:first'), line('3', 'A')]);
  });

  test('an earlier batch of the run keeps a key a later batch repeats (dry run: nothing written in between)', () => {
    const claimed = new Set<string>();
    const missing = new Set(['7', '8', '9']); // both batches see the same MySQL
    const earlier = firstOccurrences([line('7', 'A'), line('8', 'A')], missing, claimed, keyOf);
    const later = firstOccurrences([line('8', 'B'), line('9', 'B')], missing, claimed, keyOf);
    expect(earlier).toEqual([line('7', 'A'), line('8', 'A')]);
    expect(later).toEqual([line('9', 'B')]);
  });

  test('repair in source order makes the earlier occurrence win whatever order the batches were found in', () => {
    const found = [
      { intent: intent('later', 'k', 1001), lines: [line('5', 'later')] },
      { intent: intent('earlier', 'k', 1), lines: [line('5', 'earlier')] },
    ];
    const claimed = new Set<string>();
    const inserted = inSourceOrder(found).flatMap((b) => firstOccurrences(b.lines, new Set(['5']), claimed, keyOf));
    expect(inserted).toEqual([line('5', 'earlier')]);
  });
});

describe('runOutcome', () => {
  const base = { verified: true, batchesRepaired: 0, resolvedFromLedger: 0 };
  test.each([
    ['a batch that did not verify', { ...base, verified: false, batchesRepaired: 3 }, 'failed'],
    ['batches repaired', { ...base, batchesRepaired: 2 }, 'success'],
    ['only WAL records resolved from the ledger', { ...base, resolvedFromLedger: 1 }, 'success'],
    ['nothing found', base, 'nothing_to_do'],
  ])('%s → %s', (_label, facts, outcome) => {
    expect(runOutcome(facts)).toBe(outcome);
  });
});

describe('batchRepairRows', () => {
  const lines = [line('1', 'A:first'), line('2', 'A'), line('1', 'A:second'), line('3', 'A')];

  test('first: the lines of the lacking keys, first occurrence only; each counted missing', () => {
    const claimed = new Set<string>();
    expect(batchRepairRows(lines, new Set(['1', '3']), 'first', claimed, keyOf)).toEqual({ toInsert: [line('1', 'A:first'), line('3', 'A')], missing: 2 });
    expect([...claimed]).toEqual(['1', '3']);
  });

  test('first: a key an earlier batch of the run claimed is neither sent nor counted again', () => {
    const claimed = new Set(['1']);
    expect(batchRepairRows(lines, new Set(['1', '3']), 'first', claimed, keyOf)).toEqual({ toInsert: [line('3', 'A')], missing: 1 });
  });

  test('last: the whole batch is sent; each lacking key counted once across the run', () => {
    const claimed = new Set<string>();
    const missing = new Set(['1', '3']); // both batches see the same MySQL (a dry run writes nothing in between)
    expect(batchRepairRows(lines, missing, 'last', claimed, keyOf)).toEqual({ toInsert: lines, missing: 2 });
    const later = [line('3', 'B'), line('4', 'B')];
    expect(batchRepairRows(later, new Set(['3', '4']), 'last', claimed, keyOf)).toEqual({ toInsert: later, missing: 1 });
  });

  test('last: no lacking key, nothing missing, the batch still sent (the positions decide)', () => {
    expect(batchRepairRows(lines, new Set(), 'last', new Set(), keyOf)).toEqual({ toInsert: lines, missing: 0 });
  });

  test('keyless: the whole batch, every row missing, keys neither read nor claimed', () => {
    const claimed = new Set<string>();
    expect(batchRepairRows(lines, undefined, 'keep', claimed, keyOf)).toEqual({ toInsert: lines, missing: 4 });
    expect(claimed.size).toBe(0);
  });
});

describe('keylessBatchVerified', () => {
  test.each([
    ['every row sent went in', { written: true, inserted: 5, sent: 5 }, true],
    ['a row missing', { written: true, inserted: 4, sent: 5 }, false],
    ['the ledger had the batch already: nothing written, its rows came with it', { written: false, inserted: 0, sent: 5 }, true],
  ])('%s → %s', (_label, batch, ok) => {
    expect(keylessBatchVerified(batch)).toBe(ok);
  });
});

describe('runVerdict', () => {
  test('a dry run verifies nothing, whatever it found', () => {
    expect(runVerdict(true, { verified: true, batchesRepaired: 0, resolvedFromLedger: 3 })).toEqual({ verification: 'skipped', outcome: 'dry_run' });
  });

  test('a real run: its verification and runOutcome', () => {
    expect(runVerdict(false, { verified: false, batchesRepaired: 2, resolvedFromLedger: 0 })).toEqual({ verification: 'failed', outcome: 'failed' });
    expect(runVerdict(false, { verified: true, batchesRepaired: 2, resolvedFromLedger: 0 })).toEqual({ verification: 'ok', outcome: 'success' });
  });

  test('before anything ran: ok and nothing to do (a dry run: skipped, dry_run)', () => {
    expect(runVerdict(false, NOTHING_DONE)).toEqual({ verification: 'ok', outcome: 'nothing_to_do' });
    expect(runVerdict(true, NOTHING_DONE)).toEqual({ verification: 'skipped', outcome: 'dry_run' });
  });
});
