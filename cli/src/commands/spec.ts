// `pipewarden spec infer|check|validate|list`: write a dataset spec from a sample, see what a
// load of a file under a spec would do (writing nothing), check a spec, list the built-in ones.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ResolvedSpec } from '@pipewarden/core';
import type { CheckReport } from '../spec-tools';
import { core, specTools } from '../lazy';
import { action, configFrom, type GlobalOptions } from '../run';

const n = (x: number) => x.toLocaleString('en-US');

function positiveInt(name: string, v: string): number {
  const x = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(x) || x < 1) throw new (core().UserError)(`${name} must be a positive integer, got "${v}"`);
  return x;
}

/** The spec as people read it: one line per column with its type and bounds. */
function describeSpec(s: ResolvedSpec): string {
  const opt = (c: ResolvedSpec['columns'][number]): string => {
    switch (c.type) {
      case 'string':
        return `length ${c.minLength}-${c.maxLength}`;
      case 'integer':
        return `${c.min}..${c.max}`;
      case 'decimal':
        return `(${c.precision},${c.scale})${c.min !== undefined || c.max !== undefined ? ` ${c.min ?? ''}..${c.max ?? ''}` : ''}`;
      case 'boolean':
        return `true: ${c.trueValues.join('/')}; false: ${c.falseValues.join('/')}`;
      case 'date':
      case 'datetime':
        return `${c.formats.join(' | ')}; ${c.min} .. ${c.max}`;
      case 'time':
        return c.formats.join(' | ');
      case 'enum':
        return `${c.values.join(', ')}${c.caseSensitive ? ' (case-sensitive)' : ''}`;
      case 'pattern':
        return `/${c.pattern}/ ${c.case !== 'keep' ? c.case + ' ' : ''}length ${c.minLength}-${c.maxLength}`;
    }
  };
  const w = Math.max(...s.columns.map((c) => c.name.length), 6);
  const lines = [
    `dataset   ${s.name}${s.description ? ` — ${s.description}` : ''}`,
    `from      ${s.origin}`,
    `table     ${s.table}`,
    `key       ${s.key.length ? s.key.join(', ') : '(none: every row kept as the source has it)'}`,
    `duplicates ${s.duplicates}; extra columns: ${s.extraColumns}${s.knownExtras.length ? `; known extras: ${s.knownExtras.join(', ')}` : ''}`,
    `columns   ${s.columns.length}`,
    ...s.columns.map((c) => `  ${c.name.padEnd(w)}  ${c.type.padEnd(8)}  ${c.key ? 'key     ' : c.required ? 'required' : 'optional'}  ${opt(c)}${c.header !== c.name ? `  ← "${c.header}"${c.aliases.length ? ` (or ${c.aliases.map((a) => `"${a}"`).join(', ')})` : ''}` : ''}`),
  ];
  return lines.join('\n') + '\n';
}

function printCheck(r: CheckReport): void {
  const out: string[] = [];
  out.push(`spec        ${r.spec} → table ${r.table}`);
  for (const o of r.objects) {
    out.push(`file        ${o.object} (${n(o.records)} records)`);
    if (o.headerRefused) out.push(`  HEADER REFUSED: ${o.headerRefused}`);
    if (o.absent.length) out.push(`  absent      ${o.absent.join(', ')} (optional: loaded as NULL)`);
    if (o.unknown.length) out.push(`  unknown     ${o.unknown.join(', ')} (not in the spec: ignored)`);
  }
  const pct = (x: number) => (r.records ? ` (${((100 * x) / r.records).toFixed(2)}%)` : '');
  out.push(`records     ${n(r.records)}`);
  out.push(`kept        ${n(r.kept)}${pct(r.kept)}`);
  out.push(`rejected    ${n(r.rejected)}${pct(r.rejected)}`);
  const core_ = core();
  for (const [reason, e] of Object.entries(r.rejects)) out.push(`  ${reason.padEnd(14)}${n(e!.count).padStart(10)}  lines ${e!.lines.join(', ')}${e!.count > e!.lines.length ? ', …' : ''}  — ${core_.REJECT_REASON_TEXT[reason as keyof typeof core_.REJECT_REASON_TEXT]}`);
  const nulled = Object.entries(r.nulled);
  out.push(`nulled      ${nulled.length ? `${n(nulled.reduce((a, [, v]) => a + v, 0))} invalid values loaded as NULL:` : 'none'}`);
  const w = Math.max(...nulled.map(([k]) => k.length), 12);
  for (const [col, v] of nulled.sort((a, b) => b[1] - a[1])) out.push(`  ${col.padEnd(w)}${n(v).padStart(10)}`);
  if (r.key.length) {
    out.push(`duplicates  ${n(r.duplicateKeys)} kept rows repeat an earlier key (${r.key.join(', ')}); policy ${r.duplicates}: ${r.duplicates === 'first' ? 'the first occurrence stays' : 'the last occurrence wins'}`);
  } else out.push('duplicates  no key: every kept row is a table row');
  out.push(`table rows  ${n(r.tableRows)} (from this file alone)`);
  out.push(r.loadable ? 'verdict     the file would load (nothing was written)' : 'verdict     the file would NOT load: its header is refused (nothing was written)');
  process.stdout.write(out.join('\n') + '\n');
}

export function registerSpecCommands(program: Command): void {
  const spec = program
    .command('spec')
    .description('dataset specs: propose one from a sample (infer), see what a load would do (check), validate, list the built-in ones')
    .addHelpText('after', '\nExamples:\n  $ pipewarden spec infer ./orders.csv > orders.yaml\n  $ pipewarden spec check orders.yaml ./orders.csv\n  $ pipewarden spec validate orders.yaml\n  $ pipewarden spec list\n');

  spec
    .command('infer')
    .description('read a sample of a CSV (local or S3) and propose a dataset spec as commented YAML: types, bounds, date formats, a key')
    .argument('<source>', 'a CSV file, or s3://bucket/key (a prefix: its first object)')
    .option('--rows <n>', 'records to sample from the top', '10000')
    .option('--name <name>', 'dataset name (default: from the file name)')
    .option('--table <table>', 'MySQL table (default: the dataset name in snake_case)')
    .option('-o, --out <file>', 'write the YAML to a file instead of stdout')
    .option('--json', 'print the proposal (columns, types, reasons, key, yaml) as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ pipewarden spec infer ./orders.csv > orders.yaml\n  $ pipewarden spec infer s3://exports/2024/orders.csv --rows 50000 --table orders --out orders.yaml\n\nEvery type is the narrowest that 99% of the sampled non-empty values fit (the comments say how many);\nthe key is a column (or pair) unique and non-empty in the sample. Review it: a sample is not a promise.\n',
    )
    .action(
      action(async (src: string, o: { rows: string; name?: string; table?: string; out?: string; json?: boolean }, cmd: Command) => {
        const rows = positiveInt('--rows', o.rows);
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const run = await specTools().inferFrom(src, config, { rows, name: o.name, table: o.table });
        // The proposal is checked as readSpec would read it: a proposal that fails is a bug of infer, said plainly.
        core().parseSpec(run.proposal.yaml, o.out ?? 'the proposal');
        if (run.others) process.stderr.write(`sampled ${run.object} (the first of ${run.others + 1} objects under ${src})\n`);
        if (run.csvErrors) process.stderr.write(`${run.csvErrors} record(s) the CSV splitter could not read were left out\n`);
        if (o.json) {
          const { proposal: p } = run;
          process.stdout.write(JSON.stringify({ object: run.object, name: p.name, table: p.table, rows: p.rows, skipped: p.skipped, key: p.key, keyWhy: p.keyWhy, columns: p.columns, yaml: p.yaml }, null, 2) + '\n');
        } else if (o.out) {
          writeFileSync(o.out, run.proposal.yaml);
          process.stderr.write(`wrote ${o.out}: ${run.proposal.columns.length} columns, key ${run.proposal.key.length ? run.proposal.key.join(', ') : '(none)'}, from ${n(run.proposal.rows)} sampled rows\n`);
        } else process.stdout.write(run.proposal.yaml);
      }),
    );

  spec
    .command('check')
    .description('report what loading a file under a spec would do — kept, rejected by reason, nulled by column, absent and unknown columns, duplicate keys — writing nothing')
    .argument('<spec>', 'a spec file, or builtin:NAME')
    .argument('<source>', 'a CSV file or folder, or s3://bucket/key (a prefix: every object under it)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ pipewarden spec check orders.yaml ./orders.csv\n  $ pipewarden spec check builtin:nyc-parking-violations s3://nyc-parking/fy2014/ --json\n\nExit code 0 when the file would load (rejected rows allowed), 1 when its header is refused.\n')
    .action(
      action(async (ref: string, src: string, o: { json?: boolean }, cmd: Command) => {
        const s = core().readSpec(ref);
        const config = configFrom(cmd.optsWithGlobals() as GlobalOptions);
        const report = await specTools().checkFile(s, src, config);
        if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else printCheck(report);
        if (!report.loadable) {
          const refused = report.objects.filter((x) => x.headerRefused);
          process.stderr.write(`pipewarden: header refused (bad_header): ${refused.map((x) => `${x.object}: ${x.headerRefused}`).join('; ')}\n`);
          process.exitCode = 1;
        }
      }),
    );

  spec
    .command('validate')
    .description('check a spec (schema and sense) and print it resolved, with every default filled in, or its errors with file:line')
    .argument('<spec>', 'a spec file, or builtin:NAME')
    .option('--json', 'print the resolved spec as JSON (what every engine reads)')
    .addHelpText('after', '\nExamples:\n  $ pipewarden spec validate orders.yaml\n  $ pipewarden spec validate builtin:nyc-parking-violations --json\n\nAn invalid spec exits 1 with every problem located (file:line:column: path: what was expected).\n')
    .action(
      action(async (ref: string, o: { json?: boolean }) => {
        const s = core().readSpec(ref);
        process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : describeSpec(s));
      }),
    );

  spec
    .command('list')
    .description('list the built-in dataset specs (use them as builtin:NAME)')
    .option('--json', 'print [{name, ref, table, columns, key, description}] as JSON')
    .addHelpText('after', '\nExample:\n  $ pipewarden spec list\n')
    .action(
      action(async (o: { json?: boolean }) => {
        const { builtinSpecs, readSpec } = core();
        const all = builtinSpecs().map((name) => {
          const s = readSpec(`builtin:${name}`);
          return { name, ref: `builtin:${name}`, table: s.table, columns: s.columns.length, key: s.key, description: s.description ?? '' };
        });
        if (o.json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
        else for (const s of all) process.stdout.write(`${s.ref.padEnd(36)}  table ${s.table}, ${s.columns} columns, key ${s.key.join(', ') || '(none)'}${s.description ? ` — ${s.description}` : ''}\n`);
      }),
    );
}
