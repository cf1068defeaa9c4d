// Helpers for the engines' integration tests, driving an engine the way the loader does:
// whether Spark can run here, a logger that keeps its lines, and draining an engine into
// one comparable result.
import { datasetOf, rulesFor, type Config, type Logger } from '@pipewarden/core';
import type { BatchDraft, Engine, EngineStart } from '../../src/engine/types';
import type { Source, SourceObject } from '../../src/source/types';
import { findJava } from '../../src/engine/spark/process';
import { InlineEngine } from '../../src/engine/inline';

/**
 * Why Spark tests cannot run on this machine, or undefined when they can. Only a missing
 * Java is a reason to skip; a missing pyspark is a failure with the engine's own message
 * ("run scripts/install-spark.sh").
 */
/** The inline engine of a config's dataset: what a Spark run of that config is compared with. */
export function inlineEngine(config: Pick<Config, 'dataset'>): InlineEngine {
  return new InlineEngine(rulesFor(datasetOf(config)));
}

export function sparkSkipReason(): string | undefined {
  if (findJava()) return undefined;
  return 'Java is not installed (apt-get install openjdk-17-jre-headless), so Spark cannot run here';
}

/** A logger that keeps every line (all levels, whatever PIPEWARDEN_LOG_LEVEL says) for assertions. */
export function captureLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const make = (component: string): Logger => {
    const emit = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
      lines.push(`${level} [${component}] ${msg}${Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('')}`);
    };
    return { debug: emit('DEBUG'), info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR'), child: (c) => make(`${component}.${c}`) };
  };
  return { log: make('test'), lines };
}

export interface Drained {
  drafts: BatchDraft[];
  /** Every kept row, encoded, in order. */
  tsv: string;
  rejects: { line: number; reason: string; detail?: string; raw: string }[];
  /** Oddities per spec column over the whole object. */
  oddities: number[];
}

export async function drainEngine(engine: Engine, source: Source, object: SourceObject, batchSize: number, start: Partial<EngineStart> = {}, signal = new AbortController().signal): Promise<Drained> {
  const drafts: BatchDraft[] = [];
  for await (const d of engine.batches(source, object, { nextRecord: 1, nextByte: 0, nextLine: 1, batchSize, ...start }, signal)) drafts.push(d);
  const oddities = drafts[0]?.oddities.counts.map(() => 0) ?? [];
  for (const d of drafts) d.oddities.counts.forEach((c, i) => (oddities[i] += c));
  return {
    drafts,
    tsv: Buffer.concat(drafts.map((d) => d.tsv)).toString('utf8'),
    rejects: drafts.flatMap((d) => d.rejects.map((r) => ({ line: r.line, reason: r.reason, detail: r.detail, raw: r.raw.toString('base64') }))),
    oddities,
  };
}
