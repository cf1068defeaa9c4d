'use strict';
// The AWS SDK warns on Node 20 that its releases from 2027 need Node 22. The lock file pins
// a version that supports Node 20 (README: supported Node versions), so the warning is
// noise for pipewarden's users; every other warning still shows.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'NodeVersionSupportWarning' || /NodeVersionSupportWarning/.test(String(warning && warning.name ? warning.name : warning))) return;
  return emitWarning(warning, ...rest);
};
