/**
 * XLSX uploads through HTTP: what the upload reports, what /rows shows and what
 * `transform(df)` sees in the sandbox, for the fidelity cases 03 (its workbook), 10 and 11,
 * workbooks written here cell by cell (1904 dates, times, durations, booleans, error
 * cells, the widest sheet Excel allows) and the corpus workbooks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import request from 'supertest';
import { run } from './support/execution-client';
import { CASES_DIR, CORPUS_DIR, startTestApp, TestApp } from './support/test-app';
import { cell, oneSheet, rawWorkbook, row, text } from './support/xlsx-builder';
import { workbookBuffer, zipBombXlsx } from './support/zip-test-fixtures';

interface Upload {
  session_id: string;
  row_count: number;
  column_count: number;
  columns: string[];
  dtypes: Record<string, string>;
  sheets: string[];
  warnings: string[];
  renamed_columns?: Record<string, string>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const workbooks = filesUnder(CORPUS_DIR)
  .filter((f) => f.endsWith('.xlsx'))
  .map((f) => relative(CORPUS_DIR, f))
  .sort();

interface Expected {
  status: number;
  columns?: string[];
  dtypes?: Record<string, string>;
  rows?: number;
  sheets?: string[];
  detail?: RegExp;
  /** Some values of the first rows, by column. */
  first?: Record<string, unknown>;
}

/** What pandas.read_excel gives for these (checked with pandas 1.5.3 and openpyxl 3.0.9). */
const EXPECTED: Record<string, Expected> = {
  'frictionless/data/table.xlsx': {
    status: 200,
    columns: ['id', 'name'],
    dtypes: { id: 'int64', name: 'object' },
    rows: 2,
    sheets: ['Лист1', 'Sheet 2'],
    first: { id: 1, name: 'english' },
  },
  'frictionless/data/table-infer-boolean.xlsx': {
    status: 200,
    dtypes: { number: 'int64', string: 'object', boolean: 'bool' },
    rows: 2,
  },
  'frictionless/data/preserve-formatting.xlsx': {
    status: 200,
    dtypes: {
      // A column with no value at all is float64 (all NaN), as pandas has it.
      empty: 'float64',
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
  'frictionless/data/issue-312.xlsx': {
    status: 200,
    columns: ['id', 'name', 'Unnamed: 2', 'name.1', 'Unnamed: 4'],
    rows: 5,
  },
  'frictionless/data/sheets.xlsx': { status: 200, sheets: ['Sheet1', 'Sheet2', 'Sheet3'], rows: 1 },
  'frictionless/data/sheet2.xlsx': { status: 400, detail: /The sheet 'Sheet1' is empty.*'Sheet2'/ },
  'xlsx-quirks/tutorial/samplefile.xlsx': {
    status: 200,
    columns: ['Name', 'Date', 'Number', 'Formula'],
    dtypes: { Name: 'object', Date: 'datetime64[ns]', Number: 'int64', Formula: 'float64' },
    rows: 3,
    sheets: ['Sample', 'Cities'],
    first: { Name: 'Alice', Date: '2020-03-20T00:00:00', Number: 24315, Formula: 1215.75 },
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
    // The header is the sheet's first row, blank or not; blank rows below it are rows.
    columns: ['Unnamed: 0', 'Unnamed: 1'],
    rows: 3,
    sheets: ['EmptyRows', 'EmptyCols', 'EmptyRowsAndCols'],
  },
  'xlsx-quirks/testdocs/issue574.xlsx': {
    status: 200,
    columns: [
      '产品',
      '推广期',
      '媒体',
      '广告位',
      '推广计划名称',
      '推广单元名称',
      '关键词名称',
      '访问URL',
      '修改访问URL',
    ],
    rows: 3,
  },
  'xlsx-quirks/testdocs/namespaced.xlsx': { status: 200, rows: 1 },
  'xlsx-quirks/testdocs/inlineStrings.xlsx': { status: 200, rows: 37 },
  // A chart sheet is not one of pandas' sheets: the first worksheet loads.
  'xlsx-quirks/testdocs/testchartsheet.xlsx': {
    status: 200,
    columns: ['Value'],
    dtypes: { Value: 'int64' },
    rows: 4,
  },
  'xlsx-quirks/testdocs/testFileToSlice.xlsx': { status: 400, detail: /The sheet 'data' is empty/ },
  // Bytes after the ZIP's end record, which Python's zipfile ignores (and so does this reader).
  'xlsx-quirks/testdocs/panic_test.xlsx': { status: 200, rows: 5, sheets: ['上传模板'] },
  'xlsx-quirks/testdocs/badfile_noWorksheets.xlsx': {
    status: 400,
    detail: /no worksheets|damaged/,
  },
  'xlsx-quirks/testdocs/badfile_noWorkbookRels.xlsx': {
    status: 400,
    detail: /damaged|not a valid/,
  },
};

describe('XLSX upload', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const upload = (content: Buffer, filename: string, fields: Record<string, string> = {}) => {
    let req = request(t.http).post(`${t.prefix}/upload`);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('file', content, filename);
  };

  async function uploaded(content: Buffer, filename = 'book.xlsx', fields = {}): Promise<Upload> {
    const res = await upload(content, filename, fields);
    if (res.status !== 200)
      throw new Error(`upload answered ${res.status}: ${res.text.slice(0, 400)}`);
    return res.body as Upload;
  }

  async function rows(sessionId: string, limit = 100): Promise<Record<string, unknown>[]> {
    const res = await request(t.http)
      .get(`${t.prefix}/sessions/${sessionId}/rows`)
      .query({ offset: 0, limit })
      .expect(200);
    return res.body.rows as Record<string, unknown>[];
  }

  /** What `transform(df)` sees: per column, its dtype and the Python types of its values. */
  async function seen(
    sessionId: string,
  ): Promise<Record<string, { dtype: string; kinds: string; values: string }>> {
    const job = await run(
      t,
      sessionId,
      `import pandas as pd


def transform(df):
    out = []
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        kinds = sorted({str(type(v)).split("'")[1].split(".")[-1] for v in s.dropna().tolist()})
        out.append({"column": str(df.columns[i]), "dtype": str(s.dtype), "kinds": ",".join(kinds),
                    "values": "|".join("NA" if pd.isna(v) else str(v) for v in s.tolist())})
    return pd.DataFrame(out)
`,
    );
    if (job.status !== 'success') throw new Error(`probe failed: ${job.error_message}`);
    return Object.fromEntries(
      job.preview_rows.map((r) => [
        r.column as string,
        { dtype: r.dtype as string, kinds: r.kinds as string, values: r.values as string },
      ]),
    );
  }

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
        expect(Array.isArray(res.body.warnings)).toBe(true);
      } else {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof res.body.detail).toBe('string');
        expect(res.body.detail).not.toMatch(/\/tmp|\/work|Error:|duckdb|sheetjs|worker|saxes/i);
      }
      const expected = EXPECTED[file];
      if (!expected) return;
      expect({ status: res.status, detail: res.body.detail as unknown }).toMatchObject({
        status: expected.status,
      });
      if (expected.columns) expect(res.body.columns).toEqual(expected.columns);
      if (expected.dtypes) expect(res.body.dtypes).toEqual(expected.dtypes);
      if (expected.rows !== undefined) expect(res.body.row_count).toBe(expected.rows);
      if (expected.sheets) expect(res.body.sheets).toEqual(expected.sheets);
      if (expected.detail) expect(res.body.detail).toMatch(expected.detail);
      if (expected.first)
        expect((await rows(res.body.session_id as string))[0]).toMatchObject(expected.first);
    });
  });

  describe('fidelity case 03: sentinel dates in a workbook', () => {
    it('keeps 9999-12-31 as text, never NaT, and says so', async () => {
      const body = await uploaded(
        readFileSync(join(CASES_DIR, '03-sentinel-dates/contracts.xlsx')),
      );
      expect(body.row_count).toBe(2);
      expect(body.dtypes).toEqual({ contract_id: 'object', valid_to: 'object' });
      expect(body.warnings.join(' ')).toMatch(/'valid_to' holds dates outside .*9999-12-31/);
      expect(await rows(body.session_id)).toEqual([
        { contract_id: 'C-101', valid_to: '9999-12-31 00:00:00' },
        { contract_id: 'C-104', valid_to: '2023-03-15 00:00:00' },
      ]);
      const job = await run(
        t,
        body.session_id,
        readFileSync(join(CASES_DIR, '03-sentinel-dates/transform.py'), 'utf8'),
      );
      expect(job.status).toBe('success');
      expect(job.preview_rows.map((r) => [r.contract_id, r.open_ended])).toEqual([
        ['C-101', true],
        ['C-104', false],
      ]);
    });
  });

  describe('fidelity case 10: ISO date cells (t="d")', () => {
    it('reads dated, time-only and unstyled ISO cells as pandas does', async () => {
      const body = await uploaded(
        readFileSync(join(CASES_DIR, '10-xlsx-iso-date-cells/shipments.xlsx')),
      );
      expect(body.row_count).toBe(3);
      expect(body.dtypes).toEqual({
        order: 'int64',
        shipped_at: 'datetime64[ns]',
        pickup_slot: 'object',
        booked_on: 'datetime64[ns]',
      });
      const view = await rows(body.session_id);
      expect(view[1].shipped_at).toBe('2024-03-18T09:30:00');
      expect(view.map((r) => r.pickup_slot)).toEqual(['13:45:30', '08:00:00', '23:15:00']);
      expect(view[0].booked_on).toBe('2024-03-10T00:00:00');
      const sees = await seen(body.session_id);
      expect(sees.pickup_slot).toEqual({
        dtype: 'object',
        kinds: 'time',
        values: '13:45:30|08:00:00|23:15:00',
      });
      expect(sees.booked_on.dtype).toBe('datetime64[ns]');
      expect(sees.booked_on.values.split('|')[1]).toBe('2024-03-11 16:20:00');
    });
  });

  describe('fidelity case 11: a <dimension> that under-reports the sheet', () => {
    it.each(['listing_dim_A1.xlsx', 'listing_dim_short.xlsx'])(
      '%s has all 60 rows',
      async (file) => {
        const body = await uploaded(readFileSync(join(CASES_DIR, '11-xlsx-wrong-dimension', file)));
        expect(body.row_count).toBe(60);
        expect(body.columns).toEqual(['ticker', 'board_lot', 'last_price', 'currency']);
        expect(body.dtypes).toEqual({
          ticker: 'object',
          board_lot: 'int64',
          last_price: 'float64',
          currency: 'object',
        });
        const view = await rows(body.session_id);
        expect(view[59]).toEqual({
          ticker: 'T1059',
          board_lot: 500,
          last_price: 45.5,
          currency: 'HKD',
        });
      },
    );
  });

  describe('cells by type and number format', () => {
    it('reads dates of the 1904 date system', async () => {
      const book = oneSheet(
        [
          row(1, text('A1', 'day')),
          row(2, cell('A2', 43860, { s: 1 })),
          row(3, cell('A3', 0.5, { s: 1 })),
        ],
        {
          cellXfs: [0, 22],
          date1904: true,
        },
      );
      const body = await uploaded(book);
      // A serial below 1 is a time of day in openpyxl, so the column mixes datetime and time.
      expect(body.dtypes).toEqual({ day: 'object' });
      expect(await rows(body.session_id)).toEqual([
        { day: '2024-01-31 00:00:00' },
        { day: '12:00:00' },
      ]);
      const only = await uploaded(
        oneSheet([row(1, text('A1', 'day')), row(2, cell('A2', 43860, { s: 1 }))], {
          cellXfs: [0, 14],
          date1904: true,
        }),
      );
      expect(only.dtypes).toEqual({ day: 'datetime64[ns]' });
      expect(await rows(only.session_id)).toEqual([{ day: '2024-01-31T00:00:00' }]);
    });

    it('gives times as datetime.time, ISO durations as timedelta64, [h]:mm durations as pandas does', async () => {
      const book = oneSheet(
        [
          row(1, text('A1', 'slot'), text('B1', 'took'), text('C1', 'hours')),
          row(
            2,
            cell('A2', 0.5, { s: 1 }),
            cell('B2', 'PT1H30M', { t: 'd' }),
            cell('C2', 0.25, { s: 2 }),
          ),
          row(
            3,
            cell('A3', 0.75, { s: 1 }),
            cell('B3', 'PT36H', { t: 'd' }),
            cell('C3', 1.5, { s: 2 }),
          ),
        ],
        { cellXfs: [0, 21, 164], numFmts: [[164, '[h]:mm:ss']] },
      );
      const body = await uploaded(book);
      // openpyxl's read-only mode (pandas') reads duration formats as dates: a time below one day.
      expect(body.dtypes).toEqual({ slot: 'object', took: 'timedelta64[ns]', hours: 'object' });
      const sees = await seen(body.session_id);
      expect(sees.slot).toEqual({ dtype: 'object', kinds: 'time', values: '12:00:00|18:00:00' });
      expect(sees.took).toMatchObject({
        dtype: 'timedelta64[ns]',
        values: '0 days 01:30:00|1 days 12:00:00',
      });
      expect(sees.hours).toMatchObject({ dtype: 'object', values: '06:00:00|1900-01-01 12:00:00' });
      expect(body.warnings.join(' ')).toMatch(
        /'hours' holds values of several types \(datetime, time\)/,
      );
    });

    it('types booleans as pandas does: bool, float64 with a blank, object with true/false text', async () => {
      const book = oneSheet([
        row(1, text('A1', 'flag'), text('B1', 'gappy'), text('C1', 'worded')),
        row(2, cell('A2', 1, { t: 'b' }), cell('B2', 1, { t: 'b' }), cell('C2', 1, { t: 'b' })),
        row(3, cell('A3', 0, { t: 'b' }), cell('C3', 'false', { t: 'str' })),
        row(4, cell('A4', 1, { t: 'b' }), cell('B4', 0, { t: 'b' })),
      ]);
      const body = await uploaded(book);
      expect(body.dtypes).toEqual({ flag: 'bool', gappy: 'float64', worded: 'object' });
      const sees = await seen(body.session_id);
      expect(sees.flag).toEqual({ dtype: 'bool', kinds: 'bool', values: 'True|False|True' });
      expect(sees.gappy).toMatchObject({ dtype: 'float64', values: '1.0|NA|0.0' });
      expect(sees.worded).toEqual({ dtype: 'object', kinds: 'bool', values: 'True|False|NA' });
    });

    it('reads error cells as missing and numeric text as numbers', async () => {
      const book = oneSheet([
        row(1, text('A1', 'ratio'), text('B1', 'code')),
        row(2, cell('A2', '#DIV/0!', { t: 'e' }), text('B2', '007')),
        row(3, cell('A3', 0.5), text('B3', 'NA')),
        row(4, cell('A4', '#N/A', { t: 'e' }), text('B4', '12')),
      ]);
      const body = await uploaded(book);
      expect(body.dtypes).toEqual({ ratio: 'float64', code: 'float64' });
      expect(await rows(body.session_id)).toEqual([
        { ratio: null, code: 7 },
        { ratio: 0.5, code: null },
        { ratio: null, code: 12 },
      ]);
    });

    it('keeps a column of numbers and words as text, and says pandas would keep both types', async () => {
      const body = await uploaded(
        oneSheet([row(1, text('A1', 'size')), row(2, cell('A2', 42)), row(3, text('A3', 'large'))]),
      );
      expect(body.dtypes).toEqual({ size: 'object' });
      expect(await rows(body.session_id)).toEqual([{ size: '42' }, { size: 'large' }]);
      expect(body.warnings.join(' ')).toMatch(/'size' holds values of several types \(int, str\)/);
    });

    it('reads the first row as data with header=false, names columns column_1..n', async () => {
      const book = workbookBuffer({
        S: [
          [2019, 2020],
          [1, 2],
        ],
      });
      const named = await uploaded(book);
      expect(named.columns).toEqual(['2019', '2020']);
      expect(named.warnings.join(' ')).toMatch(/first row.*2019, 2020.*header=false/);
      const body = await uploaded(book, 'years.xlsx', { header: 'false' });
      expect(body.columns).toEqual(['column_1', 'column_2']);
      expect(body.row_count).toBe(2);
      expect(await rows(body.session_id)).toEqual([
        { column_1: 2019, column_2: 2020 },
        { column_1: 1, column_2: 2 },
      ]);
    });

    it('names blank and repeated headers as pandas does', async () => {
      const book = workbookBuffer({
        S: [
          ['id', null, 'id'],
          [1, 'x', 2, true],
        ],
      });
      const body = await uploaded(book);
      expect(body.columns).toEqual(['id', 'Unnamed: 1', 'id.1', 'Unnamed: 3']);
      expect(body.dtypes).toEqual({
        id: 'int64',
        'Unnamed: 1': 'object',
        'id.1': 'int64',
        'Unnamed: 3': 'bool',
      });
      expect(body.renamed_columns).toMatchObject({ id: 'id.1' });
    });
  });

  describe('the widest sheet Excel allows', () => {
    it('loads 16,384 columns (a cell at XFD1 and a row of data)', async () => {
      const book = oneSheet([
        row(1, text('A1', 'first'), text('XFD1', 'last')),
        row(2, cell('A2', 1), cell('XFD2', 2)),
      ]);
      const body = await uploaded(book);
      expect(body.column_count).toBe(16_384);
      expect(body.columns[16_383]).toBe('last');
      expect(body.columns[1]).toBe('Unnamed: 1');
      expect(body.row_count).toBe(1);
      expect(body.dtypes.last).toBe('int64');
      expect(body.dtypes['Unnamed: 1']).toBe('float64');
      const [first] = await rows(body.session_id, 1);
      expect(first).toMatchObject({ first: 1, 'Unnamed: 1': null, last: 2 });
    }, 120_000);

    it('refuses a cell beyond XFD with 400', async () => {
      const res = await upload(oneSheet([row(1, text('XFE1', 'x'))]), 'wide.xlsx').expect(400);
      expect(res.body.detail).toMatch(/column XFE, beyond the 16,384 columns/);
    });
  });

  describe('sheets and refusals', () => {
    it('loads the sheet named in the `sheet` field', async () => {
      const book = readFileSync(join(CORPUS_DIR, 'frictionless/data/sheet2.xlsx'));
      const res = await upload(book, 'sheet2.xlsx', { sheet: 'Sheet2' }).expect(200);
      expect(res.body).toMatchObject({
        columns: ['id', 'name'],
        dtypes: { id: 'int64', name: 'object' },
        row_count: 2,
        sheets: ['Sheet1', 'Sheet2'],
      });
    });

    it('refuses a chart sheet asked for by name, and an unknown sheet, listing the sheets', async () => {
      const charts = readFileSync(join(CORPUS_DIR, 'xlsx-quirks/testdocs/testchartsheet.xlsx'));
      const chart = await upload(charts, 'chart.xlsx', { sheet: 'Chart1' }).expect(400);
      expect(chart.body.detail).toMatch(/'Chart1' is a chart/);
      const book = readFileSync(join(CORPUS_DIR, 'frictionless/data/table.xlsx'));
      const res = await upload(book, 'table.xlsx', { sheet: 'Nope' }).expect(400);
      expect(res.body.detail).toBe(
        "The workbook has no sheet named 'Nope'. Its sheets are 'Лист1', 'Sheet 2'.",
      );
    });

    it('refuses a cell whose value is not what its type says, naming the cell', async () => {
      const res = await upload(
        oneSheet([row(1, text('A1', 'n')), row(2, cell('A2', 'abc'))]),
        'bad.xlsx',
      ).expect(400);
      expect(res.body.detail).toMatch(/cell A2/);
    });

    it('refuses a ZIP bomb, a legacy .xls and CSV text named .xlsx with 400', async () => {
      expect(
        (await upload(zipBombXlsx(20 * 1024 * 1024), 'bomb.xlsx').expect(400)).body.detail,
      ).toMatch(/ZIP bombs/);
      const xls = readFileSync(join(CORPUS_DIR, 'frictionless/data/table.xls'));
      expect((await upload(xls, 'table.xlsx').expect(400)).body.detail).toMatch(
        /Excel 97-2003 format \(\.xls\).*\.xlsx/,
      );
      expect(
        (await upload(Buffer.from('a,b\n1,2\n'), 'data.xlsx').expect(400)).body.detail,
      ).toMatch(/not an Excel workbook/);
    });

    it('lists every worksheet of a generated two-sheet workbook', async () => {
      const book = rawWorkbook({
        sheets: [
          { name: 'One', rows: row(1, text('A1', 'a')) + row(2, cell('A2', 1)) },
          { name: 'Two', rows: row(1, text('A1', 'b')) + row(2, cell('A2', 2)) },
        ],
      });
      const body = await uploaded(book, 'two.xlsx', { sheet: 'Two' });
      expect(body.sheets).toEqual(['One', 'Two']);
      expect(await rows(body.session_id)).toEqual([{ b: 2 }]);
    });

    it('is still healthy after all of it', async () => {
      await request(t.http).get('/health').expect(200);
    });
  });
});
