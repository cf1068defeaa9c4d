// Running spark-submit for the Spark engine: find the tools (with a clear message for each
// thing that can be missing), start the job in its own process group so an abort stops the
// JVM and its Python workers together, turn Spark's stderr into progress log lines, and on
// failure report the few stderr lines that say why instead of a page of stack frames.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { UserError, type Config, type Logger, type ResolvedSpec } from '@pipewarden/core';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
/** The job beside this engine (in the package too: cli/build.mjs keeps `__dirname` true, package.json ships job/*.py). */
export const TRANSFORM_PY = join(__dirname, 'job', 'transform.py');
const INSTALL_HINT = 'run scripts/install-spark.sh (it installs pyspark into .venv), or point PIPEWARDEN_SPARK_SUBMIT and PIPEWARDEN_SPARK_PYTHON at your Spark installation';

/**
 * The dataset's rules as the Spark job reads them (--spec): the resolved spec as JSON, every
 * default filled in, so the Python side decides nothing a spec says.
 */
export function specJson(spec: ResolvedSpec): string {
  return JSON.stringify(spec);
}

/** Write the resolved spec the job reads (--spec FILE) into `file`; returns `file`. */
export function writeSpecFile(file: string, spec: ResolvedSpec): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, specJson(spec));
  return file;
}

export interface SparkTools {
  submit: string;
  python: string;
  java: string;
}

function onPath(cmd: string): string | undefined {
  if (cmd.includes('/')) return existsSync(cmd) ? resolve(cmd) : undefined;
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return undefined;
}

/** Java as Spark's launcher finds it: $JAVA_HOME/bin/java, else java on PATH. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.JAVA_HOME && existsSync(join(env.JAVA_HOME, 'bin', 'java'))) return join(env.JAVA_HOME, 'bin', 'java');
  return onPath('java');
}

/**
 * Resolve spark-submit, the job's Python and Java from the config. The defaults
 * (`spark-submit`, `python3`) fall back to the project's .venv, where
 * scripts/install-spark.sh puts pyspark, so a bootstrapped checkout needs no settings.
 */
export function resolveSparkTools(config: Config): SparkTools {
  const java = findJava();
  if (!java) {
    throw new UserError('Java is not installed, and Spark needs it (PIPEWARDEN_ENGINE=spark)', 'install Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME; or use PIPEWARDEN_ENGINE=inline');
  }
  const venvBin = join(REPO_ROOT, '.venv', 'bin');
  let submit = onPath(config.spark.submit);
  if (!submit && config.spark.submit === 'spark-submit' && existsSync(join(venvBin, 'spark-submit'))) submit = join(venvBin, 'spark-submit');
  if (!submit) throw new UserError(`spark-submit not found (PIPEWARDEN_SPARK_SUBMIT=${config.spark.submit})`, INSTALL_HINT);
  let python = config.spark.python;
  // pip's spark-submit locates Spark through the Python that has pyspark: use the one next to it.
  if (python === 'python3' && existsSync(join(dirname(submit), 'python'))) python = join(dirname(submit), 'python');
  const check = spawnSync(python, ['-c', 'import pyspark, pyarrow, pandas; print(pyspark.__version__)'], { encoding: 'utf8' });
  if (check.error || check.status !== 0) {
    const why = check.error ? (check.error as NodeJS.ErrnoException).code ?? check.error.message : (check.stderr ?? '').trim().split('\n').pop();
    throw new UserError(`the Spark job's Python (PIPEWARDEN_SPARK_PYTHON=${python}) cannot import pyspark, pyarrow and pandas: ${why}`, INSTALL_HINT);
  }
  return { submit, python, java };
}

/** A failed Spark job: the message carries the relevant stderr lines. */
export class SparkJobError extends UserError {
  constructor(message: string, readonly stderrTail: string[]) {
    super(message, 'the load stopped before writing this object\'s rows; fix the cause and run the load again: it resumes where it stopped');
    this.name = 'SparkJobError';
  }
}

export interface SparkProgress {
  stage: number;
  done: number;
  total: number;
}

// Spark 3.5 log4j lines we turn into progress (driver log at INFO, the pyspark default).
const TASK_DONE = /TaskSetManager: Finished task \S+ in stage (\d+)\.\d+ .*\((\d+)\/(\d+)\)\s*$/;
const STAGE_START = /DAGScheduler: Submitting (?:Result|ShuffleMap)Stage (\d+) \((.*?)\)/;
const STAGE_DONE = /DAGScheduler: (?:Result|ShuffleMap)Stage (\d+) \((.*?)\) finished in ([\d.]+ \w+)/;
const LOG4J_CHATTER = /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d (INFO|WARN|DEBUG|TRACE) /;
const LOG4J_ERROR = /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d ERROR /;
/** A Python exception line ("TypeError: …", "pyspark.errors….AnalysisException: …"), not a Java one. */
const PY_EXCEPTION = /^(?!org\.|java\.|py4j\.|scala\.|Caused by)[A-Za-z_][\w.]*(Error|Exception): /;
const FATAL = /OutOfMemoryError|No space left on device|Killed|JAVA_HOME|java: not found|command not found/;

/**
 * The lines of a failed job's output that explain it: the job's own error line first,
 * then Python exception lines (a worker's traceback ends with one), fatal JVM conditions,
 * and log4j ERROR lines only when nothing better was found. Never stack frames or INFO.
 */
export function relevantStderr(lines: string[], max = 12): string[] {
  const own = lines.filter((l) => l.startsWith('PIPEWARDEN_ERROR ')).map((l) => l.slice('PIPEWARDEN_ERROR '.length));
  const cut = (l: string) => (l.length > 300 ? l.slice(0, 300) + '…' : l);
  const seen = new Set(own);
  const pick = (re: RegExp) => {
    const out: string[] = [];
    for (const raw of lines) {
      const l = raw.trim();
      if (!l || raw.startsWith('PIPEWARDEN_') || LOG4J_CHATTER.test(l) || !re.test(l)) continue;
      const short = cut(l);
      if (seen.has(short) || own.some((o) => o.includes(short))) continue;
      seen.add(short);
      out.push(short);
    }
    return out;
  };
  const python = pick(PY_EXCEPTION);
  const fatal = pick(FATAL);
  let picked = [...python, ...fatal];
  if (own.length === 0 && picked.length === 0) picked = pick(LOG4J_ERROR);
  if (own.length === 0 && picked.length === 0) return lines.filter((l) => l.trim()).slice(-Math.min(max, 8));
  return [...own, ...picked].slice(0, max);
}

export interface RunSparkOptions {
  tools: SparkTools;
  master: string;
  /** The PySpark script (default transform.py). */
  script?: string;
  /** Arguments after the script. */
  jobArgs: string[];
  /** Extra spark-submit options (before transform.py). */
  submitArgs?: string[];
  /** Driver memory of a local[*] job (config.spark.driverMemory). */
  driverMemory?: string;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  signal: AbortSignal;
  /** Called with per-stage task progress. */
  onProgress?: (p: SparkProgress) => void;
  /** Called with each event the job announces (PIPEWARDEN_PROGRESS lines, parsed). */
  onEvent?: (e: Record<string, unknown>) => void;
  /** Called with spark-submit's pid once it runs (tests kill it there). */
  onStart?: (pid: number) => void;
}

/** spark-submit's command line: Spark's settings, the caller's, then the script and its arguments. */
function submitCommand(opts: RunSparkOptions): string[] {
  const local = opts.master.startsWith('local');
  return [
    '--master', opts.master,
    '--name', 'pipewarden-transform',
    // No web UI: nothing to serve, and parallel runs would race for port 4040.
    '--conf', 'spark.ui.enabled=false',
    '--conf', 'spark.ui.showConsoleProgress=false',
    // Each task's part file lands in the output folder when the task commits, not all at the
    // end of the job: the loader uploads the first parts while Spark still works on the rest.
    '--conf', 'spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version=2',
    ...(local ? ['--driver-memory', opts.driverMemory ?? '2g'] : []),
    ...(opts.submitArgs ?? []),
    opts.script ?? TRANSFORM_PY,
    ...opts.jobArgs,
  ];
}

/** The job's environment: ours, the job's Python for the driver and the workers, a loopback address for a local master, the caller's. */
function jobEnv(opts: RunSparkOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYSPARK_PYTHON: opts.tools.python,
    PYSPARK_DRIVER_PYTHON: opts.tools.python,
    ...(opts.master.startsWith('local') ? { SPARK_LOCAL_IP: process.env.SPARK_LOCAL_IP ?? '127.0.0.1' } : {}),
    ...opts.env,
  };
}

/**
 * What the job says, line by line: every line kept (the last ones explain a failure), the
 * job's own events (PIPEWARDEN_PROGRESS) and Spark's task and stage lines turned into log
 * lines and progress.
 */
class JobOutput {
  private readonly ring: string[] = [];
  private lastProgressLog = 0;

  constructor(private readonly opts: Pick<RunSparkOptions, 'log' | 'onProgress' | 'onEvent'>) {}

  readonly line = (l: string): void => {
    this.ring.push(l);
    if (this.ring.length > 2000) this.ring.splice(0, this.ring.length - 1500);
    if (l.startsWith('PIPEWARDEN_PROGRESS ')) this.event(l.slice('PIPEWARDEN_PROGRESS '.length));
    else this.sparkLine(l);
  };

  /** The lines that explain a failure (relevantStderr). */
  why(): string[] {
    return relevantStderr(this.ring);
  }

  private event(json: string): void {
    try {
      const p = JSON.parse(json) as Record<string, unknown>;
      const { header, ...fields } = p; // the header is for onEvent, not for the log
      this.opts.log.info(`spark ${String(p.phase)} ${String(p.state)}`, { ...fields, ...(header ? { header_fields: (header as unknown[]).length } : {}) });
      this.opts.onEvent?.(p);
    } catch {
      /* a torn line: ignore */
    }
  }

  private sparkLine(l: string): void {
    const { log } = this.opts;
    let m = TASK_DONE.exec(l);
    if (m) {
      const p = { stage: Number(m[1]), done: Number(m[2]), total: Number(m[3]) };
      this.opts.onProgress?.(p);
      const now = Date.now();
      if (p.done === p.total || now - this.lastProgressLog > 2000) {
        this.lastProgressLog = now;
        log.info('spark stage progress', { stage: p.stage, tasks: `${p.done}/${p.total}` });
      }
      return;
    }
    if ((m = STAGE_START.exec(l))) log.debug('spark stage started', { stage: Number(m[1]), what: m[2] });
    else if ((m = STAGE_DONE.exec(l))) log.info('spark stage finished', { stage: Number(m[1]), what: m[2], took: m[3] });
  }
}

/** A stream's text cut into lines (a line may span chunks); end() hands over the last, unterminated one. */
function followLines(stream: Readable, onLine: (l: string) => void): { end: () => void } {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split(/\r?\n|\r/);
    partial = parts.pop() ?? '';
    for (const l of parts) onLine(l);
  });
  return { end: () => partial && onLine(partial) };
}

/** Signals the job's process group (spark-submit, its JVM, the Python workers); an abort sends SIGTERM, then SIGKILL 5 s later. */
class JobGroup {
  private killTimer?: NodeJS.Timeout;

  constructor(
    private readonly child: ChildProcess,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  kill(sig: NodeJS.Signals): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** The job ended (or never started): no abort to handle any more. */
  detach(): void {
    this.signal.removeEventListener('abort', this.onAbort);
  }

  /** After the exit: no pending SIGKILL either. */
  closed(): void {
    this.detach();
    if (this.killTimer) clearTimeout(this.killTimer);
  }

  private readonly onAbort = (): void => {
    this.log.warn('aborting the Spark job');
    this.kill('SIGTERM');
    this.killTimer = setTimeout(() => this.kill('SIGKILL'), 5000);
    this.killTimer.unref();
  };
}

/** Run transform.py under spark-submit; resolves when it exits 0, rejects with a SparkJobError otherwise. */
export function runSparkJob(opts: RunSparkOptions): Promise<void> {
  const { tools, log, signal } = opts;
  const args = submitCommand(opts);
  const env = jobEnv(opts);
  if (signal.aborted) return Promise.reject(new UserError('aborted before the Spark job started'));
  log.info('spark job starting', { master: opts.master, submit: tools.submit });
  const started = Date.now();
  // detached: a process group of its own, so one kill reaches the JVM and its Python workers.
  const child = spawn(tools.submit, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) opts.onStart?.(child.pid);
  const output = new JobOutput(opts);
  // spark-submit runs the Python driver with its stderr merged into the JVM's stdout
  // (PythonRunner), while log4j writes to stderr: both streams carry lines we need.
  const streams = [followLines(child.stderr, output.line), followLines(child.stdout, output.line)];
  const group = new JobGroup(child, signal, log);
  return new Promise<void>((resolvePromise, reject) => {
    child.on('error', (e) => {
      group.detach();
      reject(new UserError(`cannot start ${tools.submit}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, INSTALL_HINT));
    });
    child.on('close', (code, sig) => {
      group.closed();
      for (const s of streams) s.end();
      // Python workers may outlive the launcher on a failure; never leave them behind.
      group.kill('SIGKILL');
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (signal.aborted) return reject(new UserError('the Spark job was aborted'));
      if (code === 0) {
        log.info('spark job finished', { seconds });
        return resolvePromise();
      }
      const tail = output.why();
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(new SparkJobError(`the Spark job ${how} after ${seconds} s:\n  ${tail.join('\n  ')}`, tail));
    });
  });
}
