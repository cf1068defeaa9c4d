// Fault injection for the crash tests: PIPEWARDEN_FAULT=<point>:<batch number> makes this
// process SIGKILL itself at that point of that batch (1-based, counted per process).
// Loader points: after-intent, before-commit (mirror written, MySQL transaction open),
// after-commit (MySQL committed, WAL commit record not yet written). Reconciler point:
// after-repair (the n-th batch repaired and recorded). Unset in production.
export type FaultPoint = 'after-intent' | 'before-commit' | 'after-commit' | 'after-repair';

const spec = /^(after-intent|before-commit|after-commit|after-repair):(\d+)$/.exec(process.env.PIPEWARDEN_FAULT ?? '');

export function faultAt(point: FaultPoint, batchNumber: number): void {
  if (spec && spec[1] === point && Number(spec[2]) === batchNumber) {
    process.stderr.write(`pipewarden: fault injection ${point}:${batchNumber} — killing this process\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

export function faultArmed(point: FaultPoint, batchNumber: number): boolean {
  return spec !== null && spec[1] === point && Number(spec[2]) === batchNumber;
}
