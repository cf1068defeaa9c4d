// What `pipewarden doctor` reports: the contract is core's (core/src/api.ts), since the
// reconciler serves the same report to the Grafana app.
import type { DoctorFinding, DoctorVerdict } from '@pipewarden/core';

export type { DoctorFinding as Finding, DoctorReport } from '@pipewarden/core';

export function worst(findings: readonly DoctorFinding[]): DoctorVerdict {
  return findings.some((f) => f.verdict === 'fail') ? 'fail' : findings.some((f) => f.verdict === 'warn') ? 'warn' : 'ok';
}
