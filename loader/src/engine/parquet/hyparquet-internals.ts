// hyparquet's page-level readers live under `hyparquet/src/*.js` (package.json "exports"),
// their types under types/; this project's node10 module resolution does not read "exports"
// (the Grafana plugin's e2e build follows these imports too), so they are required here,
// once, with those types. Pinned: these are hyparquet's internals, not its documented API.
export const { parquetHeader, readPage } = require('hyparquet/src/column.js') as typeof import('hyparquet/types/column');
export const { decompressPage } = require('hyparquet/src/datapage.js') as typeof import('hyparquet/types/datapage');
export const { DEFAULT_PARSERS, convert } = require('hyparquet/src/convert.js') as typeof import('hyparquet/types/convert');
export const { getTreePath, getMaxDefinitionLevel } = require('hyparquet/src/schema.js') as typeof import('hyparquet/types/schema');
