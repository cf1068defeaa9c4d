// Steps a batch may take only after the batches written before it took theirs, and only when
// they succeeded. The sink uses it for the WAL intents: they enter the WAL in the order the
// batches were written, so the intents a crash leaves are those of a prefix of the batches
// (nemesis seed 31014: with two connections and four batches in flight, batch 3's ledger
// check answered before batch 2's, its intent went first, the crash came between, and the
// reconcile repaired batch 3 — taking a key whose first occurrence was in batch 2, which
// no intent named and the next load wrote after it).

/** A batch's step refused because an earlier batch's failed: the earlier error is the one to report. */
export class EarlierBatchFailedError extends Error {
  constructor(step: string) {
    super(`an earlier batch failed before its ${step}; this batch stops too`);
    this.name = 'EarlierBatchFailedError';
  }
}

export interface Turn {
  /** Resolves when every earlier batch has taken its step; rejects when one of them failed. */
  ready: Promise<void>;
  /** This batch's step is over (ok) or will never happen (failed). Only the first call counts. */
  done(ok: boolean): void;
}

export class BatchTurns {
  /** The outcome of the latest turn taken: true when it and every turn before it succeeded. */
  private last: Promise<boolean> = Promise.resolve(true);
  /** Turns taken and not yet done. */
  private open = 0;

  constructor(private readonly step: string) {}

  /**
   * The next turn; taken synchronously, in the order the batches are written. A turn taken
   * when every earlier one is done starts afresh: a failure stops the batches that were in
   * flight with it, not the next pass.
   */
  take(): Turn {
    if (this.open === 0) this.last = Promise.resolve(true);
    this.open++;
    const before = this.last;
    let settle!: (ok: boolean) => void;
    const mine = new Promise<boolean>((resolve) => (settle = resolve));
    this.last = before.then((ok) => ok && mine);
    let settled = false;
    const ready = before.then((ok) => {
      if (!ok) throw new EarlierBatchFailedError(this.step);
    });
    ready.catch(() => undefined); // a batch that fails before it waits never looks
    return {
      ready,
      done: (ok) => {
        if (settled) return;
        settled = true;
        this.open--;
        settle(ok);
      },
    };
  }
}
