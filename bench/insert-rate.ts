// Rows/s per million rows as a table grows, from the server's own counter of rows written
// (MySQL's Innodb_rows_inserted; MariaDB, which dropped it, Handler_write), sampled every
// 250 ms on a connection of its own: the same measure for pipewarden and the LOAD DATA
// ceiling, so their curves compare. Ledger and dead-letter rows count too (one ledger row per
// batch: a rounding error).
import { connect, type Config } from '@pipewarden/core';
import type { Connection, RowDataPacket } from 'mysql2/promise';

export interface MillionRate {
  /** Which million of the run's rows (1 = the first); the last may be a part of one. */
  million: number;
  /** Rows in it: a million, or fewer in the last. */
  rows: number;
  rows_per_s: number;
}

export class InsertRate {
  private readonly samples: Array<{ t: number; n: number }> = [];
  private timer?: NodeJS.Timeout;
  private busy = false;

  private constructor(
    private readonly conn: Connection,
    private readonly rows: number,
  ) {}

  static async start(config: Config, rows: number): Promise<InsertRate> {
    const r = new InsertRate(await connect(config), rows);
    await r.sample();
    r.timer = setInterval(() => void r.sample(), 250);
    return r;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const [rows] = await this.conn.query<RowDataPacket[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_rows_inserted', 'Handler_write')");
      const v = Object.fromEntries(rows.map((r) => [String(r.Variable_name), Number(r.Value)]));
      this.samples.push({ t: performance.now(), n: v.Innodb_rows_inserted ?? v.Handler_write });
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    await this.sample();
    await this.conn.end();
  }

  /** When the counter first reached `target` rows (linear between samples). */
  private reached(target: number): number | undefined {
    const first = this.samples[0];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1];
      const b = this.samples[i];
      if (b.n - first.n >= target) return a.t + ((target - (a.n - first.n)) / Math.max(1, b.n - a.n)) * (b.t - a.t);
    }
    return undefined;
  }

  /** Rows/s per million, each million from when the counter passed the one before to when it passed its own. */
  curve(): MillionRate[] {
    const [first] = this.samples;
    if (!first) return [];
    const total = Math.min(this.rows, this.samples[this.samples.length - 1].n - first.n);
    const out: MillionRate[] = [];
    let t0 = first.t;
    for (let m = 1; (m - 1) * 1e6 < total; m++) {
      const end = Math.min(m * 1e6, total);
      const t = this.reached(end)!;
      out.push({ million: m, rows: end - (m - 1) * 1e6, rows_per_s: Math.round((end - (m - 1) * 1e6) / ((t - t0) / 1000)) });
      t0 = t;
    }
    return out;
  }

  /** Seconds from the last row written to stop(): what the run did after its data (building deferred indexes, its last proofs). */
  afterLastRow(): number {
    const last = this.samples[this.samples.length - 1];
    if (!last) return 0;
    const t = this.reached(last.n - this.samples[0].n) ?? last.t;
    return +((last.t - t) / 1000).toFixed(1);
  }
}
