import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import request from 'supertest';
import { filesUnder } from './support/fidelity';
import { CORPUS_DIR, startTestApp, TestApp } from './support/test-app';

// Workbooks are covered by upload-xlsx.e2e-spec.ts; every other corpus file is here. Values are
// checked against what pandas 1.5.3 gives (test/fidelity-differential.e2e-spec.ts compares every
// value; these are the ones a person can read and check by eye).
const files = filesUnder(CORPUS_DIR).filter((f) => !f.endsWith('.xlsx'));

interface Expected {
  status: number;
  columns?: string[];
  rows?: number;
  /** A subset of the dtypes. */
  dtypes?: Record<string, string>;
  /** The first rows of /rows, each a subset of the row. */
  first?: Record<string, unknown>[];
  /** Some row further down: [offset, subset]. */
  at?: [number, Record<string, unknown>];
  /** Some warning must match. */
  warning?: RegExp;
  detail?: RegExp;
  filename?: string;
}

/** Files whose outcome a careful person can state in advance. */
const EXPECTED: Record<string, Expected> = {
  'frictionless/data/table.csv': {
    status: 200,
    columns: ['id', 'name'],
    rows: 2,
    dtypes: { id: 'int64', name: 'object' },
    first: [
      { id: 1, name: 'english' },
      { id: 2, name: '中国人' },
    ],
  },
  'frictionless/data/latin1.csv': {
    status: 200,
    columns: ['id', 'name'],
    rows: 2,
    first: [
      { id: 1, name: 'english' },
      { id: 2, name: '©' },
    ],
    warning: /encod|latin|8859|1252/i,
  },
  'frictionless/data/table-infer-iso-8859-7.csv': {
    status: 200,
    columns: ['id', 'age', 'name'],
    rows: 4,
    dtypes: { id: 'int64', age: 'int64', name: 'object' },
    first: [
      { id: 1, age: 39, name: 'Λεωνιδας' },
      { id: 2, age: 23, name: 'Αλεξανδρος' },
      { id: 3, age: 36, name: 'Μυρων' },
      { id: 4, age: 28, name: 'Ευστοργιος' },
    ],
    warning: /encod|greek|8859-7|1253/i,
  },
  // Latin-1 and semicolons; decimal commas stay text, as pandas (sep=';') keeps them.
  'frictionless/data/table-with-accents.csv': {
    status: 200,
    columns: [
      'Classement',
      'Quartier',
      'Date',
      'Année',
      'Occupancy rate',
      'Average Price',
      'RevPAR',
      'Source',
    ],
    rows: 638,
    dtypes: { Année: 'int64', 'Occupancy rate': 'object' },
    first: [{ Classement: '3 stars', Année: 2013, 'Occupancy rate': '0,611553068' }],
    warning: /encod|latin|8859|1252/i,
  },
  // cp1252 (Š and ž are bytes 0x8a and 0x9e), semicolons, a header cell with a newline.
  'frictionless/data/issue-811.csv': {
    status: 200,
    rows: 7904,
    first: [{ 'Codice Regione': 1, 'Denominazione (Italiana e straniera)': 'Agliè' }],
    at: [3758, { 'Denominazione (Italiana e straniera)': 'San Floriano del Collio-Števerjan' }],
    warning: /encod|1252|latin|8859/i,
  },
  'frictionless/data/bom.csv': {
    status: 200,
    columns: ['id', 'name'],
    first: [
      { id: 1, name: 'english' },
      { id: 2, name: '中国人' },
    ],
  },
  'frictionless/data/Таблица.csv': {
    status: 200,
    columns: ['id', 'name'],
    first: [{ id: 1 }, { id: 2, name: '中国人' }],
    filename: 'Таблица.csv',
  },
  'frictionless/data/table-unicode-headers.csv': {
    status: 200,
    columns: ['id', '国人'],
    first: [{ id: 1, 国人: 'english' }],
  },
  'frictionless/data/ascii-notvalid.csv': {
    status: 200,
    columns: ['A', 'B', 'C'],
    first: [{ A: 1, B: 'ssµ', C: 'ab€' }],
  },
  // Words pandas keeps as text stay text.
  'frictionless/data/countries-truefalsevalues.csv': {
    status: 200,
    dtypes: { id: 'int64', value: 'object' },
    first: [
      { id: 1, value: 'yes' },
      { id: 2, value: 'no' },
    ],
  },
  // '-' is not one of pandas' missing-value tokens: id is text.
  'frictionless/data/table-infer-missing-values.csv': {
    status: 200,
    dtypes: { id: 'object', age: 'int64', name: 'object' },
    first: [{ id: '1' }, { id: '-', age: 25 }],
  },
  // A header of years, and a column of numbers with a word in it (text, as in pandas).
  'frictionless/data/issue-825.csv': {
    status: 200,
    columns: ['Musei', '2011', '2010'],
    rows: 2,
    dtypes: { Musei: 'object', '2011': 'object', '2010': 'object' },
    first: [{ '2011': '23.824' }, { Musei: 'Museo Pitrè', '2011': 'in restauro' }],
  },
  // Repeated and empty names, named as pandas names them.
  'frictionless/data/duplicate-headers.csv': {
    status: 200,
    columns: ['id', 'name', 'id.1', 'age', 'id.2'],
  },
  'frictionless/data/blank-headers.csv': { status: 200, columns: ['id', 'Unnamed: 1', 'age'] },
  'frictionless/data/empty.csv': { status: 400, detail: /empty/ },
  'frictionless/data/table.xls': { status: 400, detail: /not accepted/ },
  // An opening quote that is never closed (line 35): pandas folds the next lines into one
  // value; refused naming the line (see INTENDED in fidelity-differential.e2e-spec.ts).
  'frictionless/data/issue-1066.csv': { status: 400, detail: /\b35\b/ },
  // A row longer than the header: pandas raises "Expected 3 fields in line 12, saw 4".
  'frictionless/data/capital-invalid.csv': { status: 400, detail: /\b12\b/ },
  'frictionless/data/defective-rows.csv': { status: 400, detail: /\b3\b/ },
};

describe('every corpus file uploads or is refused with a reason', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it.each(files)(
    '%s',
    async (file) => {
      const res = await request(t.http)
        .post(`${t.prefix}/upload`)
        .attach('file', readFileSync(join(CORPUS_DIR, file)), basename(file));
      if (res.status === 200) {
        expect(res.body.column_count).toBeGreaterThan(0);
        expect(res.body.columns).toHaveLength(res.body.column_count);
        expect(new Set(res.body.columns).size).toBe(res.body.column_count);
        expect(res.body.columns.every((c: string) => c.trim().length > 0)).toBe(true);
        // JSON objects list integer-like keys first, so compare as sets.
        expect(Object.keys(res.body.dtypes).sort()).toEqual([...res.body.columns].sort());
        expect(res.body.row_count).toBeGreaterThanOrEqual(0);
        expect(Array.isArray(res.body.warnings)).toBe(true);
      } else {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof res.body.detail).toBe('string');
        expect(res.body.detail).not.toMatch(/\/tmp|\/work|Error:|duckdb/i);
      }
      const expected = EXPECTED[file];
      if (!expected) return;
      expect({ status: res.status, detail: res.body.detail }).toMatchObject({
        status: expected.status,
      });
      if (expected.columns) expect(res.body.columns).toEqual(expected.columns);
      if (expected.rows !== undefined) expect(res.body.row_count).toBe(expected.rows);
      if (expected.dtypes) expect(res.body.dtypes).toMatchObject(expected.dtypes);
      if (expected.detail) expect(res.body.detail).toMatch(expected.detail);
      if (expected.filename) expect(res.body.filename).toBe(expected.filename);
      if (expected.warning) {
        expect(res.body.warnings).toEqual(
          expect.arrayContaining([expect.stringMatching(expected.warning)]),
        );
      }
      if (expected.first) {
        const page = await request(t.http)
          .get(`${t.prefix}/sessions/${res.body.session_id}/rows`)
          .query({ offset: 0, limit: expected.first.length })
          .expect(200);
        expect(page.body.rows).toHaveLength(expected.first.length);
        expected.first.forEach((row, i) => expect(page.body.rows[i]).toMatchObject(row));
      }
      if (expected.at) {
        const [offset, row] = expected.at;
        const page = await request(t.http)
          .get(`${t.prefix}/sessions/${res.body.session_id}/rows`)
          .query({ offset, limit: 1 })
          .expect(200);
        expect(page.body.rows[0]).toMatchObject(row);
      }
    },
    120_000,
  );
});

describe('csv-spectrum: every field as its json/ file has it, typed as pandas types it', () => {
  const dir = join(CORPUS_DIR, 'csv-spectrum');
  const names = readdirSync(join(dir, 'csvs')).filter((f) => f.endsWith('.csv'));
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  /**
   * The JSON files hold every field as text. pandas reads the same fields but types them: a
   * number is compared by its value ("08123" is 8123), an empty field is missing (null).
   */
  function sameField(ours: unknown, text: string): boolean {
    if (ours === null) return text === '';
    if (typeof ours === 'number') return text.trim() !== '' && Number(text) === ours;
    if (typeof ours === 'boolean') return text.toLowerCase() === String(ours);
    return ours === text;
  }

  it.each(names)('%s', async (name) => {
    const expected = JSON.parse(
      readFileSync(join(dir, 'json', name.replace(/\.csv$/, '.json')), 'utf8'),
    ) as Record<string, string>[];
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(join(dir, 'csvs', name)), name)
      .expect(200);
    expect(res.body.columns).toEqual(Object.keys(expected[0]));
    expect(res.body.row_count).toBe(expected.length);
    const page = await request(t.http)
      .get(`${t.prefix}/sessions/${res.body.session_id}/rows?limit=1000`)
      .expect(200);
    const rows = page.body.rows as Record<string, unknown>[];
    const mismatches = expected.flatMap((want, i) =>
      Object.entries(want)
        .filter(([column, text]) => !sameField(rows[i]?.[column], text))
        .map(([column, text]) => ({ row: i, column, ours: rows[i]?.[column], json: text })),
    );
    expect(mismatches).toEqual([]);
  });

  it('types a zip code with a leading zero as pandas does (int64 8123)', async () => {
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(join(dir, 'csvs', 'comma_in_quotes.csv')), 'comma.csv')
      .expect(200);
    expect(res.body.dtypes).toMatchObject({ zip: 'int64', city: 'object' });
  });
});

describe('long lines', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('loads a cell longer than DuckDB default line limit', async () => {
    const cell = 'x'.repeat(3 * 1024 * 1024);
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.from(`a,b\n1,"${cell}"\n2,short\n`), 'long.csv')
      .expect(200);
    expect(res.body).toMatchObject({ columns: ['a', 'b'], row_count: 2 });
  });
});
