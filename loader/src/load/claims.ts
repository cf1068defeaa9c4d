// What a run says about the objects it claims: which it holds now (progress, /status), and
// takeovers of objects another loader held when it stopped or stalled.
import type { SourceObject } from '../source';
import type { LoadSession } from './session';

/**
 * An abort controller that also aborts with `parent` (the run's stop), so a lost lease can
 * stop one object's or range's read alone; `detach` when the read is over.
 */
export function childAbort(parent: AbortSignal): AbortController & { detach(): void } {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  parent.addEventListener('abort', onAbort, { once: true });
  return Object.assign(ctl, { detach: () => parent.removeEventListener('abort', onAbort) });
}

/** The objects (or ranges) this loader holds leases on now, and the one it works on. */
export function emitHolding(s: LoadSession, object?: string): void {
  s.tally.emit({ worker: s.leases.owner, holding: s.leases.holding(), ...(object ? { object } : {}) });
}

/** Claim an object's own lease; once claimed, a takeover is noted and the object shown as held. */
export async function claimWhole(s: LoadSession, obj: SourceObject): Promise<'claimed' | 'held' | 'done'> {
  const claim = await s.leases.claim(obj);
  if (claim.result === 'claimed') {
    noteTakeover(s, obj.key, claim);
    emitHolding(s, obj.key);
  }
  return claim.result;
}

export function noteTakeover(s: LoadSession, what: string, claim: { tookOverFrom?: string; ownSeat?: boolean }): void {
  if (claim.tookOverFrom && claim.ownSeat) {
    s.log.info('took back an object an earlier loader on this run folder held when it stopped', { object: what, from: claim.tookOverFrom, worker: s.leases.owner });
  } else if (claim.tookOverFrom) {
    s.log.warn("took over an object whose loader's lease lapsed; resuming it from the ledger", { object: what, from: claim.tookOverFrom, worker: s.leases.owner });
    s.metrics.leaseTakeovers.inc();
  }
}
