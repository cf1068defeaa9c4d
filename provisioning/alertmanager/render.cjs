#!/usr/bin/env node
// Renders provisioning/alertmanager/alertmanager.yml (a template) into a configuration
// Alertmanager can load: Alertmanager 0.25 does not expand environment variables itself.
//
//   node render.cjs <template> <output>        (values from the environment)
//
// `${NAME}` must be set (an empty value counts as unset); `${NAME:-default}` falls back to
// the default. `$$` is a literal `$`. Inside a double-quoted YAML string the value is
// escaped for that string; outside quotes only plain scalars (letters, digits, `._:/-`)
// are accepted, so a value can never add keys or lines. Every missing variable is reported
// at once, and nothing is written unless all are present.
//
// Plain CommonJS without dependencies so that it runs in any Node image (the Compose
// deployment runs it in the pipewarden image) and the tests can require() it.
'use strict';
const { readFileSync, writeFileSync, renameSync } = require('node:fs');

const PLACEHOLDER = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Whether position `index` of `line` lies inside a double-quoted YAML scalar. */
function insideDoubleQuotes(line, index) {
  let inside = false;
  for (let i = 0; i < index; i++) {
    const c = line[i];
    if (c === '\\' && inside) i++;
    else if (c === '"') inside = !inside;
    else if (c === '#' && !inside && (i === 0 || /\s/.test(line[i - 1]))) return false;
  }
  return inside;
}

function escapeDoubleQuoted(value) {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * @param {string} text the template
 * @param {Record<string, string | undefined>} env
 * @returns {string}
 */
function renderTemplate(text, env) {
  const missing = new Set();
  const unsafe = new Set();
  const lines = text.split('\n').map((line) =>
    line.trimStart().startsWith('#')
      ? line
      : line.replace(PLACEHOLDER, (match, name, fallback, offset) => {
          if (match === '$$') return '$';
          const set = env[name] !== undefined && env[name] !== '';
          if (!set && fallback === undefined) {
            missing.add(name);
            return match;
          }
          const value = set ? env[name] : fallback;
          if (insideDoubleQuotes(line, offset)) return escapeDoubleQuoted(value);
          if (!/^[A-Za-z0-9_.:/-]*$/.test(value)) unsafe.add(name);
          return value;
        }),
  );
  const problems = [];
  if (missing.size) problems.push(`missing: ${[...missing].join(', ')}`);
  if (unsafe.size) problems.push(`not a plain value (used outside quotes): ${[...unsafe].join(', ')}`);
  if (problems.length) throw new Error(`cannot render the Alertmanager configuration; ${problems.join('; ')}`);
  return lines.join('\n');
}

module.exports = { renderTemplate };

if (require.main === module) {
  const [template, output] = process.argv.slice(2);
  if (!template || !output) {
    process.stderr.write('usage: render.cjs <template> <output>\n');
    process.exit(2);
  }
  try {
    const rendered = renderTemplate(readFileSync(template, 'utf8'), process.env);
    // Write beside the target and rename, so Alertmanager never reads a partial file.
    // 0644: Alertmanager runs as another user, and the file holds no secret (those are
    // *_file references).
    writeFileSync(`${output}.tmp`, rendered, { mode: 0o644 });
    renameSync(`${output}.tmp`, output);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
