import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import request from 'supertest';
import { workbookBuffer, zipBombXlsx } from './support/zip-test-fixtures';
import { CORPUS_DIR, startTestApp, TestApp } from './support/test-app';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const FRICTIONLESS_DATA = join(CORPUS_DIR, 'frictionless', 'data');
const workbooks = [
  ...filesUnder(join(CORPUS_DIR, 'xlsx-quirks')).filter((f) => f.endsWith('.xlsx')),
  ...readdirSync(FRICTIONLESS_DATA)
    .filter((f) => f.endsWith('.xlsx'))
    .map((f) => join(FRICTIONLESS_DATA, f)),
]
  .map((f) => relative(CORPUS_DIR, f))
  .sort();

interface Expected {
  status: number;
  columns?: string[];
  dtypes?: Record<string, string>;
  rows?: number;
  sheets?: string[];
  detail?: RegExp;
}

/** Workbooks whose outcome a careful person can state by opening them in a spreadsheet. */
const EXPECTED: Record<string, Expected> = {
  'frictionless/data/table.xlsx': {
    status: 200,
    columns: ['id', 'name'],
    dtypes: { id: 'int64', name: 'object' },
    rows: 2,
    sheets: ['Лист1', 'Sheet 2'],
  },
  'frictionless/data/table-infer-boolean.xlsx': {
    status: 200,
    dtypes: { number: 'int64', string: 'object', boolean: 'bool' },
    rows: 2,
  },
  'frictionless/data/preserve-formatting.xlsx': {
    status: 200,
    dtypes: {
      empty: 'object',
      '0': 'float64',
      '0.00': 'float64',
      '0.0000': 'float64',
      '0.00000': 'float64',
      '0.0000#': 'float64',
      'm/d/yy': 'datetime64[ns]',
      'd-mmm': 'datetime64[ns]',
      'mm/dd/yy': 'datetime64[ns]',
      mmddyy: 'datetime64[ns]',
      'mmddyyam/pmdd': 'datetime64[ns]',
    },
    rows: 1,
  },
  'frictionless/data/sheets.xlsx': { status: 200, sheets: ['Sheet1', 'Sheet2', 'Sheet3'], rows: 1 },
  'frictionless/data/sheet2.xlsx': { status: 400, detail: /The sheet 'Sheet1' is empty.*'Sheet2'/ },
  'xlsx-quirks/tutorial/samplefile.xlsx': {
    status: 200,
    columns: ['Name', 'Date', 'Number', 'Formula'],
    dtypes: { Name: 'object', Date: 'datetime64[ns]', Number: 'int64', Formula: 'float64' },
    rows: 3,
    sheets: ['Sample', 'Cities'],
  },
  'xlsx-quirks/testdocs/merged_cells.xlsx': {
    status: 200,
    columns: ['Date', 'Product', 'Quantity'],
    // Merged cells keep their value in the top-left cell only, so some are empty.
    dtypes: { Date: 'object', Product: 'object', Quantity: 'float64' },
    rows: 6,
  },
  'xlsx-quirks/testdocs/empty_rows.xlsx': {
    status: 200,
    columns: ['A3', 'B3'],
    rows: 1,
    sheets: ['EmptyRows', 'EmptyCols', 'EmptyRowsAndCols'],
  },
  'xlsx-quirks/testdocs/testchartsheet.xlsx': { status: 400, detail: /'Chart1' is a chart/ },
  'xlsx-quirks/testdocs/testFileToSlice.xlsx': { status: 400, detail: /The sheet 'data' is empty/ },
  'xlsx-quirks/testdocs/panic_test.xlsx': { status: 400, detail: /damaged or incomplete/ },
  'xlsx-quirks/testdocs/badfile_noWorksheets.xlsx': { status: 400, detail: /damaged/ },
};

describe('XLSX upload', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const upload = (content: Buffer, filename: string, sheet?: string) => {
    const req = request(t.http).post(`${t.prefix}/upload`).attach('file', content, filename);
    return sheet === undefined ? req : req.field('sheet', sheet);
  };

  describe('every corpus workbook uploads or is refused with a reason', () => {
    it.each(workbooks)('%s', async (file) => {
      const res = await upload(readFileSync(join(CORPUS_DIR, file)), basename(file));
      if (res.status === 200) {
        expect(res.body.column_count).toBeGreaterThan(0);
        expect(res.body.columns).toHaveLength(res.body.column_count);
        expect(new Set(res.body.columns).size).toBe(res.body.column_count);
        expect(Object.keys(res.body.dtypes).sort()).toEqual([...res.body.columns].sort());
        expect(res.body.row_count).toBeGreaterThanOrEqual(0);
        expect(res.body.sheets.length).toBeGreaterThan(0);
      } else {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof res.body.detail).toBe('string');
        expect(res.body.detail).not.toMatch(/\/tmp|\/work|Error:|duckdb|sheetjs|worker/i);
      }
      const expected = EXPECTED[file];
      if (expected) {
        expect({ status: res.status, detail: res.body.detail as unknown }).toMatchObject({
          status: expected.status,
        });
        if (expected.columns) expect(res.body.columns).toEqual(expected.columns);
        if (expected.dtypes) expect(res.body.dtypes).toEqual(expected.dtypes);
        if (expected.rows !== undefined) expect(res.body.row_count).toBe(expected.rows);
        if (expected.sheets) expect(res.body.sheets).toEqual(expected.sheets);
        if (expected.detail) expect(res.body.detail).toMatch(expected.detail);
      }
    });
  });

  it('keeps cell types and file order in the cached rows', async () => {
    const file = 'xlsx-quirks/tutorial/samplefile.xlsx';
    const { body } = await upload(readFileSync(join(CORPUS_DIR, file)), 'samplefile.xlsx').expect(
      200,
    );
    const rows = await request(t.http)
      .get(`${t.prefix}/sessions/${body.session_id}/rows`)
      .expect(200);
    expect(rows.body.rows).toEqual([
      { Name: 'Alice', Date: '2020-03-20T00:00:00', Number: 24315, Formula: 1215.75 },
      { Name: 'Bob', Date: '2020-04-17T00:00:00', Number: 21345, Formula: 1067.25 },
      { Name: 'Charlie', Date: '2020-02-08T00:00:00', Number: 32145, Formula: 1607.25 },
    ]);
  });

  it('loads the sheet named in the `sheet` field', async () => {
    const book = readFileSync(join(FRICTIONLESS_DATA, 'sheet2.xlsx'));
    const res = await upload(book, 'sheet2.xlsx', 'Sheet2').expect(200);
    expect(res.body).toMatchObject({
      columns: ['id', 'name'],
      dtypes: { id: 'int64', name: 'object' },
      row_count: 2,
      sheets: ['Sheet1', 'Sheet2'],
    });
  });

  it('loads the worksheet next to a chart sheet when asked for it', async () => {
    const book = readFileSync(join(CORPUS_DIR, 'xlsx-quirks/testdocs/testchartsheet.xlsx'));
    const res = await upload(book, 'chart.xlsx', 'Sheet1').expect(200);
    expect(res.body).toMatchObject({
      columns: ['Value'],
      dtypes: { Value: 'int64' },
      row_count: 4,
    });
  });

  it('refuses an unknown sheet with 400, listing the sheets', async () => {
    const book = readFileSync(join(FRICTIONLESS_DATA, 'table.xlsx'));
    const res = await upload(book, 'table.xlsx', 'Nope').expect(400);
    expect(res.body.detail).toBe(
      "The workbook has no sheet named 'Nope'. Its sheets are 'Лист1', 'Sheet 2'.",
    );
  });

  it('renames blank and repeated headers of a workbook', async () => {
    const book = workbookBuffer({
      S: [
        ['id', null, 'id'],
        [1, 'x', 2, true],
      ],
    });
    const res = await upload(book, 'dupes.xlsx').expect(200);
    expect(res.body.columns).toEqual(['id', 'column_2', 'id_2', 'column_4']);
    expect(res.body.dtypes).toEqual({
      id: 'int64',
      column_2: 'object',
      id_2: 'int64',
      column_4: 'bool',
    });
  });

  it('refuses a ZIP bomb with 400', async () => {
    const res = await upload(zipBombXlsx(20 * 1024 * 1024), 'bomb.xlsx').expect(400);
    expect(res.body.detail).toMatch(/ZIP bombs/);
  });

  it('refuses a legacy .xls renamed to .xlsx with 400, saying to save it as .xlsx', async () => {
    const xls = readFileSync(join(FRICTIONLESS_DATA, 'table.xls'));
    const res = await upload(xls, 'table.xlsx').expect(400);
    expect(res.body.detail).toMatch(/Excel 97-2003 format \(\.xls\).*\.xlsx/);
  });

  it('refuses a .xls upload with 400', async () => {
    const xls = readFileSync(join(FRICTIONLESS_DATA, 'table.xls'));
    const res = await upload(xls, 'table.xls').expect(400);
    expect(typeof res.body.detail).toBe('string');
  });

  it('refuses CSV text named .xlsx with 400', async () => {
    const res = await upload(Buffer.from('a,b\n1,2\n'), 'data.xlsx').expect(400);
    expect(res.body.detail).toMatch(/not an Excel workbook/);
  });

  it('is still healthy after all of it', async () => {
    await request(t.http).get('/health').expect(200);
  });
});
