// The Alertmanager webhook receiver (payload version 4): acts only on configured alert
// names, only on firing alerts, and once per (fingerprint, startsAt) — Alertmanager
// repeats notifications, a repeat must not start a second run. An alert's `pipeline` label
// (the loader's metrics carry it) says which pipeline to reconcile; without it, every one.
import { z } from 'zod';

export const alertmanagerPayload = z.object({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.string()).optional(),
      startsAt: z.string(),
      endsAt: z.string().optional(),
      fingerprint: z.string().optional(),
    }),
  ),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayload>;

export type AlertAction = 'reconcile' | 'ignored_name' | 'ignored_resolved' | 'duplicate';

export class AlertDeduper {
  private seen = new Map<string, number>();
  constructor(private readonly names: readonly string[], private readonly ttlMs = 24 * 3600 * 1000) {}

  /** Which alerts of the payload call for a reconcile (after de-duplication). */
  classify(p: AlertmanagerPayload): { action: AlertAction; alertname: string; pipeline?: string }[] {
    const now = Date.now();
    for (const [k, t] of this.seen) if (now - t > this.ttlMs) this.seen.delete(k);
    return p.alerts.map((a) => {
      const alertname = a.labels.alertname ?? '';
      if (!this.names.includes(alertname)) return { action: 'ignored_name' as const, alertname };
      if (a.status !== 'firing') return { action: 'ignored_resolved' as const, alertname };
      const key = `${a.fingerprint ?? JSON.stringify(a.labels)}|${a.startsAt}`;
      if (this.seen.has(key)) return { action: 'duplicate' as const, alertname };
      this.seen.set(key, now);
      return { action: 'reconcile' as const, alertname, ...(a.labels.pipeline !== undefined && { pipeline: a.labels.pipeline }) };
    });
  }
}
