import type { DoctorFinding, ReconcileOutcome, ReconcilePhase, ReconcileRun, ReconcileTrigger } from '../api/types';

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '–';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '–';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A run's duration: as recorded, or from its start and end. */
export function runDuration(r: ReconcileRun): number | null {
  if (r.durationSeconds !== null) {
    return r.durationSeconds;
  }
  return r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null;
}

/** "2026-11-29 19:44:37 UTC": the exact time a relative one stands for (shown on hover). */
export function formatAbsolute(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** One casing for every badge: "Paused by reconcile", "Up", "3 in doubt". */
export function sentenceCase(text: string): string {
  const words = text.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; the exact time goes in a title attribute. */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) {
    return '–';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) {
    return `${s} s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ago`;
  }
  return `${Math.floor(s / 86400)} d ago`;
}

export const PHASE_LABELS: Record<ReconcilePhase, string> = {
  lock: 'Taking the reconcile lock',
  pause_loader: 'Pausing the loader',
  wait_mysql: 'Waiting for MySQL to answer',
  find_batches: 'Finding batches in doubt',
  repair: 'Inserting the missing rows',
  verify: 'Verifying counts and checksums',
  restart_loader: 'Restarting the loader',
  done: 'Done',
};

export const TRIGGER_LABELS: Record<ReconcileTrigger, string> = {
  button: 'Button',
  watchdog: 'Watchdog',
  alert: 'Alert',
  cli: 'CLI',
  api: 'API',
};

export type BadgeColor = 'green' | 'blue' | 'red' | 'purple' | 'orange';

export const OUTCOME_LABELS: Record<ReconcileOutcome | 'running', { text: string; color: BadgeColor }> = {
  success: { text: 'Success', color: 'green' },
  nothing_to_do: { text: 'Nothing to do', color: 'blue' },
  failed: { text: 'Failed', color: 'red' },
  dry_run: { text: 'Dry run', color: 'purple' },
  running: { text: 'Running', color: 'orange' },
};

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A doctor finding's verdict as a badge (same casing as the outcomes). */
export const VERDICT_LABELS: Record<DoctorFinding['verdict'], { text: string; color: BadgeColor }> = {
  ok: { text: 'OK', color: 'green' },
  warn: { text: 'Warning', color: 'orange' },
  fail: { text: 'Fails', color: 'red' },
};

/** Where a doctor finding was made, as the Configuration page names it. */
export const DOCTOR_TARGETS: Record<DoctorFinding['target'], string> = {
  mysql: 'MySQL',
  redis: 'Redis',
  wal: "The WAL's disk",
  s3: 'Source',
};
