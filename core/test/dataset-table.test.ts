import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATASET, parseSpec, readSpec } from '../src/dataset';
import { datasetDdl, integerType } from '../src/db/schema';
import { indexPlan, planTable, shapeOfServer, supportsInstantAdd, widen, type TableShape } from '../src/db/dataset-table';

const spec = (text: string) => parseSpec(text, 't.yaml');

test('integer columns take the narrowest of SMALLINT, INT and BIGINT, UNSIGNED when min >= 0', () => {
  expect(integerType(0n, 9n)).toBe('SMALLINT UNSIGNED');
  expect(integerType(0n, 65536n)).toBe('INT UNSIGNED');
  expect(integerType(-1n, 100n)).toBe('SMALLINT');
  expect(integerType(-40000n, 0n)).toBe('INT');
  expect(integerType(1n, 9223372036854775807n)).toBe('BIGINT UNSIGNED');
  expect(integerType(-1n, 4294967296n)).toBe('BIGINT');
});

test('the DDL of a composite-key spec: key NOT NULL, binary collation on text keys, composite primary key in key order, indexes', () => {
  const s = spec(`name: t\ntable: trips\nkey: [station, day]\nindexes: [[amount, flag]]\ncolumns:
  - {name: day, type: date}
  - {name: station, type: pattern, pattern: '[A-Z]{4}', minLength: 4, maxLength: 4}
  - {name: amount, type: decimal, precision: 9, scale: 2}
  - {name: flag, type: boolean}
  - {name: at, type: datetime, required: true}
  - {name: kind, type: enum, values: [a, bbb]}
`);
  expect(datasetDdl(s)).toBe(
    'CREATE TABLE IF NOT EXISTS `trips` (\n' +
      '  `day` DATE NOT NULL,\n  `station` CHAR(4) COLLATE utf8mb4_bin NOT NULL,\n  `amount` DECIMAL(9,2) NULL,\n  `flag` TINYINT(1) NULL,\n  `at` DATETIME NOT NULL,\n  `kind` VARCHAR(3) NULL,\n' +
      '  PRIMARY KEY (`station`, `day`),\n  KEY `ix_amount_flag` (`amount`, `flag`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
  );
});

test('keyless: no primary key; last: the hidden position column', () => {
  expect(datasetDdl(spec('name: e\ntable: events\ncolumns:\n  - {name: a}\n'))).not.toContain('PRIMARY KEY');
  expect(datasetDdl(spec('name: e\ntable: events\nkey: a\nduplicates: last\ncolumns:\n  - {name: a, type: integer}\n'))).toContain("`_pw_pos` VARBINARY(3072) NOT NULL DEFAULT ''");
});

/** A table shape as information_schema would give it for a CREATE TABLE of the same columns (types parsed back). */
function shapeOf(ddl: string): TableShape {
  const columns = [...ddl.matchAll(/^ {2}`(\w+)` ([A-Z]+)(?:\((\d+)(?:,(\d+))?\))?( UNSIGNED)?(?: COLLATE (\w+))? (NOT NULL|NULL)/gm)].map((m) => {
    const [, name, t, a, b, uns, coll, nl] = m;
    const ct = `${t.toLowerCase()}${a ? `(${a}${b ? `,${b}` : ''})` : ''}${uns ? ' unsigned' : ''}`;
    return { name, shape: shapeOfServer(t.toLowerCase(), ct, a && /CHAR/.test(t) ? Number(a) : null, a ? Number(a) : null, b ? Number(b) : t === 'DECIMAL' ? 0 : null), columnType: ct, nullable: nl === 'NULL', hasDefault: false, collation: /CHAR/.test(t) ? (coll ?? 'utf8mb4_unicode_ci') : null };
  });
  const pk = /PRIMARY KEY \(([^)]*)\)/.exec(ddl);
  const indexes = new Map([...ddl.matchAll(/ KEY `(\w+)` \(([^)]*)\)/g)].map((m) => [m[1], m[2].replace(/`/g, '').split(', ')]));
  return { columns, primaryKey: pk ? pk[1].replace(/`/g, '').split(', ') : [], indexes };
}

test("the NYC table created before specs matches the NYC spec: nothing to change, nothing refused", () => {
  const before = readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'datasets', 'nyc-violations-before-specs.sql'), 'utf8');
  const plan = planTable(readSpec(DEFAULT_DATASET), shapeOf(before));
  expect(plan).toMatchObject({ create: false, changes: [], refusals: [], notes: [] });
});

describe('planning a table against a changed spec', () => {
  const base = 'name: t\ntable: t\nkey: id\ncolumns:\n  - {name: id, type: integer}\n';
  const v1 = spec(`${base}  - {name: a, maxLength: 10}\n  - {name: n, type: integer, min: 0, max: 100}\n  - {name: d, type: decimal, precision: 6, scale: 2}\n`);
  const table = shapeOf(datasetDdl(v1));
  test('adds columns NULL-able, widens text, integers and decimals, adds indexes', () => {
    const v2 = spec(`${base}  - {name: a, maxLength: 20}\n  - {name: n, type: integer, min: -5, max: 100000}\n  - {name: d, type: decimal, precision: 8, scale: 3}\n  - {name: b, type: date}\nindexes: [b]\n`);
    const plan = planTable(v2, table);
    expect(plan.refusals).toEqual([]);
    expect(plan.changes.map((c) => c.sql)).toEqual([
      'ALTER TABLE `t` MODIFY COLUMN `a` VARCHAR(20) NULL',
      'ALTER TABLE `t` MODIFY COLUMN `n` INT NULL',
      'ALTER TABLE `t` MODIFY COLUMN `d` DECIMAL(8,3) NULL',
      'ALTER TABLE `t` ADD COLUMN `b` DATE NULL',
      'ALTER TABLE `t` ADD KEY `ix_b` (`b`)',
    ]);
    expect(plan.changes[3].instant).toBe(true);
  });
  test('a narrower spec is no change: the wider table holds every value', () => {
    const narrower = spec(`${base}  - {name: a, maxLength: 5}\n  - {name: n, type: integer, min: 0, max: 10}\n  - {name: d, type: decimal, precision: 5, scale: 1}\n`);
    const plan = planTable(narrower, table);
    expect(plan).toMatchObject({ changes: [], refusals: [] });
    expect(plan.notes).toEqual([expect.stringMatching(/^column a stays varchar\(10\), wider than the spec asks \(VARCHAR\(5\)\)/), expect.stringMatching(/^column d stays decimal\(6,2\)/)]); // n: 0…10 is SMALLINT UNSIGNED as 0…100 is
  });
  test('refuses a type change, a key change, NOT NULL on an existing column, and a required new column; a dropped column is left alone', () => {
    const bad = spec(`name: t\ntable: t\nkey: [id, a]\ncolumns:\n  - {name: id, type: integer}\n  - {name: a, type: integer}\n  - {name: n, type: integer, min: 0, max: 100, required: true}\n  - {name: z, required: true}\n`);
    const plan = planTable(bad, table);
    expect(plan.refusals).toEqual([
      expect.stringMatching(/^key: the table's primary key is \(id\), the spec's key is \(id, a\)/),
      expect.stringMatching(/^column a: the spec makes it required, but the table allows NULL/),
      expect.stringMatching(/^column n: the spec makes it required, but the table allows NULL/),
      expect.stringMatching(/^column z: the spec adds it as required/),
    ]);
    expect(plan.notes).toEqual([expect.stringMatching(/^column d is not in the spec: left alone/)]);
    expect(widen({ kind: 'text', length: 10, fixed: false }, { kind: 'int', min: 0n, max: 9n, bool: false })).toEqual({ refuse: expect.stringContaining('VARCHAR(10)') });
  });
});

describe('planning a table: the other refusals and changes', () => {
  const keyed = 'name: t\ntable: t\nkey: code\ncolumns:\n  - {name: code, maxLength: 8}\n  - {name: a, type: integer}\n  - {name: b, maxLength: 4}\n';
  test('a text key column whose collation is not utf8mb4_bin is refused (a collation change is a key change)', () => {
    const table = shapeOf(datasetDdl(spec(keyed)));
    expect(planTable(spec(keyed), table)).toMatchObject({ changes: [], refusals: [] });
    table.columns[0].collation = 'utf8mb4_unicode_ci';
    const plan = planTable(spec(keyed), table);
    expect(plan.refusals).toEqual([expect.stringMatching(/^column code: a key column must compare byte for byte \(utf8mb4_bin\), the table's is utf8mb4_unicode_ci/)]);
  });
  test('an index whose name the table gives to other columns is refused', () => {
    const table = shapeOf(datasetDdl(spec(keyed)));
    table.indexes.set('ix_b', ['a']);
    const plan = planTable(spec(`${keyed}indexes: [b]\n`), table);
    expect(plan.refusals).toEqual(['index ix_b: the table has an index of that name on (a), the spec wants it on (b)']);
    expect(plan.changes).toEqual([]);
  });
  test('a date column the spec makes optional becomes NULL-able, its type restated', () => {
    const table = shapeOf(datasetDdl(spec(`${keyed}  - {name: d, type: date, required: true}\n`)));
    expect(table.columns.find((c) => c.name === 'd')!.nullable).toBe(false);
    const plan = planTable(spec(`${keyed}  - {name: d, type: date}\n`), table);
    expect(plan.refusals).toEqual([]);
    expect(plan.changes).toEqual([{ sql: 'ALTER TABLE `t` MODIFY COLUMN `d` DATE NULL', what: 'column d allows NULL (the spec made it optional)' }]);
  });
  test('a spec turned to duplicates: last adds the position column, instantly where the server can', () => {
    const last = spec(keyed.replace('key: code\n', 'key: code\nduplicates: last\n'));
    const plan = planTable(last, shapeOf(datasetDdl(spec(keyed))));
    expect(plan.refusals).toEqual([]);
    expect(plan.changes).toEqual([{ sql: "ALTER TABLE `t` ADD COLUMN `_pw_pos` VARBINARY(3072) NOT NULL DEFAULT ''", what: expect.stringMatching(/^add column _pw_pos /), instant: true }]);
    expect(planTable(last, shapeOf(datasetDdl(last)))).toMatchObject({ changes: [], refusals: [] }); // once there, not added again
  });
});

test('ALGORITHM=INSTANT for ADD COLUMN: MariaDB >= 10.3, MySQL >= 8.0.29', () => {
  expect(supportsInstantAdd('10.11.6-MariaDB-0+deb12u1')).toBe(true);
  expect(supportsInstantAdd('10.2.44-MariaDB')).toBe(false);
  expect(supportsInstantAdd('8.0.28')).toBe(false);
  expect(supportsInstantAdd('8.0.36')).toBe(true);
  expect(supportsInstantAdd('8.4.0')).toBe(true);
});

test('indexPlan matches the spec\'s indexes by columns: present (own or a user\'s name), missing, or a name taken by other columns', () => {
  const s = spec('name: t\ntable: t\nkey: id\nindexes: [a, [b, c], d, e]\ncolumns:\n  - {name: id, type: integer}\n  - {name: a}\n  - {name: b}\n  - {name: c}\n  - {name: d}\n  - {name: e}\n');
  const table: TableShape = {
    columns: [],
    primaryKey: ['id'],
    indexes: new Map([
      ['ix_a', ['a']],
      ['by_b_c', ['b', 'c']],
      ['ix_e', ['id']],
    ]),
  };
  const p = indexPlan(s, table);
  expect(p.present.map((x) => [x.name, x.own])).toEqual([
    ['ix_a', true],
    ['by_b_c', false],
  ]);
  expect(p.missing.map((x) => x.clause)).toEqual(['KEY `ix_d` (`d`)']);
  expect(p.refusals).toEqual(['index ix_e: the table has an index of that name on (id), the spec wants it on (e)']);
});
