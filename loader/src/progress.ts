// The load progress bar (stderr, TTY only): rows/s, bytes, ETA.
import { SingleBar, Presets } from 'cli-progress';
import type { LoadProgress } from './load';

function mb(n: number): string {
  return (n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0);
}

export function createProgressBar(enabled = process.stderr.isTTY === true): { update(p: LoadProgress): void; stop(): void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: ' {bar} {percentage}% | {mbRead}/{mbTotal} MB | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {state}',
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const secs = Math.max((Date.now() - p.startedAt) / 1000, 0.001);
      const payload = { mbRead: mb(p.bytesRead), mbTotal: mb(p.bytesTotal), rows: p.rowsIn.toLocaleString('en-US'), rate: Math.round(p.rowsIn / secs).toLocaleString('en-US'), state: p.state };
      if (!started) {
        bar.start(Math.max(p.bytesTotal, 1), p.bytesRead, payload);
        started = true;
      } else bar.update(p.bytesRead, payload);
    },
    stop() {
      // A later update (the next round of `load --watch`) starts the bar again.
      if (started) bar.stop();
      started = false;
    },
  };
}
