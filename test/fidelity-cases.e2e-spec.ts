/**
 * The fidelity cases (test/fixtures/cases/NN-*, copied from ../shared/cases/fidelity): each
 * README's "Right behaviour", asserted through HTTP (upload, /rows, the case's transform*.py,
 * downloads). Cases 10 and 11 (XLSX) and 12 (output index) have their own suites; the
 * differential test compares every one of these files with pandas as well.
 */
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import request from 'supertest';
import { run, JobResult } from './support/execution-client';
import { CASES_DIR, startTestApp, TestApp } from './support/test-app';

interface Upload {
  session_id: string;
  row_count: number;
  column_count: number;
  columns: string[];
  dtypes: Record<string, string>;
  warnings: string[];
  renamed_columns?: Record<string, string>;
}

const caseFile = (name: string): Buffer => readFileSync(join(CASES_DIR, name));
const caseCode = (name: string): string => readFileSync(join(CASES_DIR, name), 'utf8');

/**
 * Reports what the code sees: the dtype of each column and, per column, the Python type names
 * of the values and the number of missing ones. One row per column.
 */
const PROBE = `import pandas as pd


def transform(df):
    rows = []
    for position in range(df.shape[1]):
        series = df.iloc[:, position]
        kinds = sorted({str(type(v)).split("'")[1] for v in series.dropna().tolist()})
        rows.append({
            "column": str(df.columns[position]),
            "dtype": str(series.dtype),
            "kinds": ",".join(kinds),
            "missing": int(series.isna().sum()),
            "rows": int(len(series)),
        })
    return pd.DataFrame(rows)
`;

interface Probe {
  column: string;
  dtype: string;
  kinds: string;
  missing: number;
  rows: number;
}

describe('fidelity cases', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  async function upload(
    name: string,
    fields: Record<string, string> = {},
    status = 200,
  ): Promise<{ body: Upload; text: string }> {
    let req = request(t.http).post(`${t.prefix}/upload`);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    const res = await req.attach('file', caseFile(name), basename(name));
    if (res.status !== status) {
      throw new Error(`upload of ${name} answered ${res.status}: ${res.text.slice(0, 500)}`);
    }
    if (status === 200) {
      const body = res.body as Upload;
      expect(Array.isArray(body.warnings)).toBe(true);
      expect(body.columns).toHaveLength(body.column_count);
    }
    return { body: res.body as Upload, text: res.text };
  }

  async function rows(
    sessionId: string,
    offset = 0,
    limit = 50,
  ): Promise<{ body: { rows: Record<string, unknown>[]; total: number }; text: string }> {
    const res = await request(t.http)
      .get(`${t.prefix}/sessions/${sessionId}/rows`)
      .query({ offset, limit })
      .expect(200);
    return { body: res.body, text: res.text };
  }

  async function runOk(sessionId: string, code: string): Promise<JobResult> {
    const job = await run(t, sessionId, code);
    if (job.status !== 'success') throw new Error(`job failed: ${job.error_message}`);
    return job;
  }

  async function download(sessionId: string, jobId: string, format = 'csv'): Promise<string> {
    const res = await request(t.http)
      .get(`${t.prefix}/execute/${sessionId}/${jobId}/output`)
      .query({ format })
      .buffer(true)
      .parse((r, done) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => done(null, Buffer.concat(parts).toString('utf8')));
      })
      .expect(200);
    return res.body as string;
  }

  async function downloadCsv(sessionId: string, jobId: string): Promise<Record<string, string>[]> {
    return parse<Record<string, string>>(await download(sessionId, jobId), { columns: true });
  }

  /** What the code sees, per column (PROBE), checked against what the upload reported. */
  async function probe(upload: Upload): Promise<Record<string, Probe>> {
    const job = await runOk(upload.session_id, PROBE);
    const seen = await downloadCsv(upload.session_id, job.job_id);
    const byColumn: Record<string, Probe> = {};
    for (const r of seen) {
      byColumn[r.column] = {
        column: r.column,
        dtype: r.dtype,
        kinds: r.kinds,
        missing: Number(r.missing),
        rows: Number(r.rows),
      };
    }
    expect(seen.map((r) => r.column)).toEqual(upload.columns);
    for (const column of upload.columns) {
      expect({ column, dtype: byColumn[column].dtype }).toEqual({
        column,
        dtype: upload.dtypes[column],
      });
      expect(byColumn[column].rows).toBe(upload.row_count);
    }
    return byColumn;
  }

  describe('01: integer IDs longer than int64 stay exact', () => {
    const digits = [
      '14412098765432109871',
      '3319876543210987654',
      '98765432109876543210',
      '18000000000000000001',
    ];

    it('uploads with the digits intact, as pandas gives them (object text)', async () => {
      const { body } = await upload('01-bigint-ids/scholar_ids.csv');
      expect(body).toMatchObject({
        row_count: 4,
        column_count: 3,
        columns: ['record_id', 'scholar_id', 'citations'],
      });
      expect(body.dtypes).toEqual({ record_id: 'int64', scholar_id: 'object', citations: 'int64' });
      const seen = await probe(body);
      expect(seen.scholar_id.kinds).toBe('str');

      const page = await rows(body.session_id);
      expect(page.body.total).toBe(4);
      // The raw JSON, since JSON.parse would itself round a bare 20-digit number.
      expect(page.text).toContain('14412098765432109871');
      expect(page.text).not.toContain('14412098765432110000');
      expect(page.body.rows.map((r) => String(r.scholar_id))).toEqual(digits);
    });

    it('transform.py downloads the same digits as the file', async () => {
      const { body } = await upload('01-bigint-ids/scholar_ids.csv');
      const job = await runOk(body.session_id, caseCode('01-bigint-ids/transform.py'));
      const out = await downloadCsv(body.session_id, job.job_id);
      expect(out.map((r) => r.scholar_id)).toEqual(digits);
      expect(out.map((r) => r.id_as_text)).toEqual(digits);
      expect(out.map((r) => r.id_dtype)).toEqual(['object', 'object', 'object', 'object']);
      expect(out.map((r) => r.citations)).toEqual(['12', '7', '0', '31']);
    });
  });

  describe('02: NA / N/A / NULL markers are missing values in every column type', () => {
    it('bird_labels.csv: float columns with NaN, booleans with a missing one as object', async () => {
      const { body } = await upload('02-na-null-markers/bird_labels.csv');
      expect(body.row_count).toBe(2500);
      expect(body.dtypes).toEqual({
        id: 'int64',
        species: 'object',
        unsure: 'object',
        length_cm: 'float64',
        weight_g: 'float64',
      });
      const seen = await probe(body);
      expect(seen.length_cm.missing).toBe(2);
      expect(seen.weight_g.missing).toBe(1);
      expect(seen.unsure).toMatchObject({ missing: 1, kinds: 'bool' });
      expect(seen.species.missing).toBe(0);

      // Row 3 (index 2) holds NA for length_cm; /rows shows it as null, not the text "NA".
      const page = await rows(body.session_id, 0, 10);
      expect(page.body.rows[2].length_cm).toBeNull();
      expect(page.body.rows[9].weight_g).toBeNull();
      expect(page.body.rows[0]).toMatchObject({ id: 1, unsure: false, length_cm: 57.1 });
      const late = await rows(body.session_id, 2399, 1);
      expect(late.body.rows[0].unsure).toBeNull();
    });

    it('bird_labels.csv: transform.py computes the mean, the share and the missing count', async () => {
      const { body } = await upload('02-na-null-markers/bird_labels.csv');
      const job = await runOk(body.session_id, caseCode('02-na-null-markers/transform.py'));
      const [out] = await downloadCsv(body.session_id, job.job_id);
      expect(Number(out.mean_length_cm)).toBeCloseTo(59.95344275420336, 9);
      expect(Number(out.unsure_share)).toBeCloseTo(0.14285714285714285, 12);
      expect(out.missing_weight).toBe('1');
    });

    it('null_tokens.csv: NULL, null, #N/A and NaN are missing; "-" keeps e as text', async () => {
      const { body } = await upload('02-na-null-markers/null_tokens.csv');
      expect(body.row_count).toBe(3);
      expect(body.dtypes).toEqual({
        a: 'float64',
        b: 'float64',
        c: 'float64',
        d: 'float64',
        e: 'object',
      });
      const seen = await probe(body);
      for (const column of ['a', 'b', 'c', 'd']) expect(seen[column].missing).toBe(1);
      expect(seen.e).toMatchObject({ missing: 0, kinds: 'str' });
      const page = await rows(body.session_id);
      expect(page.body.rows[1]).toEqual({ a: null, b: null, c: null, d: null, e: '-' });
      expect(page.body.rows[0]).toMatchObject({ a: 1.5, e: '1.5' });
    });
  });

  describe('03: sentinel dates 9999-12-31 and 0001-01-01 are never NaT (CSV)', () => {
    it('arrives as text, as pandas gives it, and dtypes say so', async () => {
      const { body } = await upload('03-sentinel-dates/contracts.csv');
      expect(body.row_count).toBe(4);
      expect(body.dtypes).toMatchObject({
        contract_id: 'object',
        valid_from: 'object',
        valid_to: 'object',
        monthly_fee: 'float64',
      });
      const seen = await probe(body);
      expect(seen.valid_to).toMatchObject({ missing: 0, kinds: 'str' });
      expect(seen.valid_from).toMatchObject({ missing: 0, kinds: 'str' });
      const page = await rows(body.session_id);
      expect(page.body.rows.map((r) => r.valid_to)).toEqual([
        '2021-03-31',
        '9999-12-31',
        '2020-12-31',
        '9999-12-31',
      ]);
      expect(page.body.rows[2].valid_from).toBe('0001-01-01');
    });

    it('transform.py marks C-101 and C-103 open-ended; identity downloads the markers', async () => {
      const { body } = await upload('03-sentinel-dates/contracts.csv');
      const job = await runOk(body.session_id, caseCode('03-sentinel-dates/transform.py'));
      const out = await downloadCsv(body.session_id, job.job_id);
      expect(out.filter((r) => r.open_ended === 'True').map((r) => r.contract_id)).toEqual([
        'C-101',
        'C-103',
      ]);
      expect(out.map((r) => r.valid_to_seen_as)).toEqual([
        '2021-03-31',
        '9999-12-31',
        '2020-12-31',
        '9999-12-31',
      ]);

      const identity = await runOk(body.session_id, 'def transform(df):\n    return df\n');
      const csv = await download(body.session_id, identity.job_id);
      expect(csv.split(/\r?\n/).slice(0, 5)).toEqual([
        'contract_id,customer,valid_from,valid_to,monthly_fee',
        'C-100,Acme Tools,2019-04-01,2021-03-31,120.0',
        'C-101,Birch Cafe,2021-04-01,9999-12-31,135.5',
        'C-102,Cobalt Labs,0001-01-01,2020-12-31,99.0',
        'C-103,Delta Farms,2022-07-15,9999-12-31,150.25',
      ]);
    });
  });

  describe('04: a header of year numbers is the header', () => {
    it('sales_by_year.csv: 4 rows, columns region, 2022, 2023, 2024', async () => {
      const { body } = await upload('04-numeric-year-header/sales_by_year.csv');
      expect(body).toMatchObject({ row_count: 4, columns: ['region', '2022', '2023', '2024'] });
      expect(body.dtypes).toEqual({
        region: 'object',
        '2022': 'int64',
        '2023': 'int64',
        '2024': 'int64',
      });
      await probe(body);
      const page = await rows(body.session_id);
      expect(page.body.rows[0]).toEqual({ region: 'North', '2022': 410, '2023': 455, '2024': 502 });
      expect(page.body.total).toBe(4);
    });

    it('sales_by_year.csv: transform.py melts to 12 rows with the years', async () => {
      const { body } = await upload('04-numeric-year-header/sales_by_year.csv');
      const job = await runOk(body.session_id, caseCode('04-numeric-year-header/transform.py'));
      const out = await downloadCsv(body.session_id, job.job_id);
      expect(out).toHaveLength(12);
      expect([...new Set(out.map((r) => r.year))]).toEqual(['2022', '2023', '2024']);
      expect(out[0]).toEqual({ region: 'North', year: '2022', units: '410' });

      const identity = await runOk(
        body.session_id,
        caseCode('04-numeric-year-header/transform_identity.py'),
      );
      const csv = await download(body.session_id, identity.job_id);
      expect(csv).toBe(
        readFileSync(join(CASES_DIR, '04-numeric-year-header/sales_by_year.csv'), 'utf8'),
      );
    });

    it('readings_by_hour.csv (control): 2 rows, columns station_id, 1, 2, 3, 4', async () => {
      const { body } = await upload('04-numeric-year-header/readings_by_hour.csv');
      expect(body).toMatchObject({ row_count: 2, columns: ['station_id', '1', '2', '3', '4'] });
      expect(body.dtypes).toMatchObject({ station_id: 'int64', '1': 'float64' });
      await probe(body);
    });

    it('header=false: the first row is data and the columns are column_1..n', async () => {
      const { body } = await upload('04-numeric-year-header/sales_by_year.csv', {
        header: 'false',
      });
      expect(body).toMatchObject({
        row_count: 5,
        columns: ['column_1', 'column_2', 'column_3', 'column_4'],
      });
      // As pandas.read_csv(header=None) types them: the years are integers like the rest.
      expect(body.dtypes).toEqual({
        column_1: 'object',
        column_2: 'int64',
        column_3: 'int64',
        column_4: 'int64',
      });
      await probe(body);
      const page = await rows(body.session_id);
      expect(page.body.rows[0]).toEqual({
        column_1: 'region',
        column_2: 2022,
        column_3: 2023,
        column_4: 2024,
      });
      expect(page.body.rows[4]).toEqual({
        column_1: 'West',
        column_2: 77,
        column_3: 81,
        column_4: 90,
      });
    });

    it('header=true is the default, and another value is refused', async () => {
      const { body } = await upload('04-numeric-year-header/sales_by_year.csv', { header: 'true' });
      expect(body.row_count).toBe(4);
      const res = await request(t.http)
        .post(`${t.prefix}/upload`)
        .field('header', 'sometimes')
        .attach('file', caseFile('04-numeric-year-header/sales_by_year.csv'), 'sales_by_year.csv');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(JSON.stringify(res.body.detail)).toMatch(/header/);
    });
  });

  describe('06: one stray Latin-1 byte in a UTF-8 file', () => {
    const cities = {
      'São Paulo': 300,
      Kraków: 300,
      Malmö: 300,
      Reykjavík: 300,
      Zürich: 300,
    };

    it('keeps the UTF-8 rows, replaces only the bad byte, and names its line', async () => {
      const { body } = await upload('06-mixed-utf8-latin1/station_log.csv');
      expect(body).toMatchObject({ row_count: 1501, columns: ['station', 'city', 'reading'] });
      // The bad byte is on line 1502 of the file (data row 1501).
      expect(body.warnings.some((w) => /\b150[12]\b/.test(w))).toBe(true);
      await probe(body);
      const first = await rows(body.session_id, 0, 5);
      expect(first.body.rows.map((r) => r.city)).toEqual([
        'São Paulo',
        'Kraków',
        'Malmö',
        'Reykjavík',
        'Zürich',
      ]);
      expect(first.body.rows[0].reading).toMatch(/^-?\d+ °C$/);
      const last = await rows(body.session_id, 1500, 1);
      expect(['Caf\ufffd Nord', 'Café Nord']).toContain(last.body.rows[0].city);
    });

    it('transform.py counts each city as written', async () => {
      const { body } = await upload('06-mixed-utf8-latin1/station_log.csv');
      const job = await runOk(body.session_id, caseCode('06-mixed-utf8-latin1/transform.py'));
      const out = await downloadCsv(body.session_id, job.job_id);
      const counts = Object.fromEntries(out.map((r) => [r.city, Number(r.size)]));
      expect(counts).toMatchObject(cities);
      expect(out).toHaveLength(6);
      expect(Object.keys(counts).filter((c) => /^Caf. Nord$/u.test(c))).toHaveLength(1);
    });
  });

  describe("07: Excel's sep= first line is honoured and dropped", () => {
    it.each([
      {
        file: 'parts_sep_comma.csv',
        columns: ['item', 'qty', 'note'],
        rowCount: 3,
        first: { item: 'bolt', qty: 120, note: 'M6, zinc' },
        dtypes: { item: 'object', qty: 'int64', note: 'object' },
      },
      {
        file: 'parts_sep_semicolon.csv',
        columns: ['Artikel', 'Menge', 'Lager'],
        rowCount: 2,
        first: { Artikel: 'Schraube', Menge: 120, Lager: 'Halle 1, Regal 4' },
        dtypes: { Artikel: 'object', Menge: 'int64', Lager: 'object' },
      },
      {
        file: 'scores_sep_pipe.csv',
        columns: ['name', 'score'],
        rowCount: 2,
        first: { name: 'ann', score: 7 },
        dtypes: { name: 'object', score: 'int64' },
      },
      {
        file: 'scores_sep_comma_2cols.csv',
        columns: ['name', 'score'],
        rowCount: 2,
        first: { name: 'ann', score: 7 },
        dtypes: { name: 'object', score: 'int64' },
      },
    ])('$file', async ({ file, columns, rowCount, first, dtypes }) => {
      const { body } = await upload(`07-excel-sep-line/${file}`);
      expect(body).toMatchObject({ row_count: rowCount, columns });
      expect(body.dtypes).toEqual(dtypes);
      expect(body.warnings.some((w) => /sep=/i.test(w))).toBe(true);
      await probe(body);
      const page = await rows(body.session_id);
      expect(page.body.total).toBe(rowCount);
      expect(page.body.rows[0]).toEqual(first);
    });
  });

  describe('08: classic-Mac CR-only line endings', () => {
    it('reads 4 rows with the quoted commas kept', async () => {
      const { body } = await upload('08-mac-cr-line-endings/donors_cr.csv');
      expect(body).toMatchObject({
        row_count: 4,
        columns: ['first_name', 'last_name', 'city', 'donation'],
      });
      expect(body.dtypes).toEqual({
        first_name: 'object',
        last_name: 'object',
        city: 'object',
        donation: 'float64',
      });
      await probe(body);
      const page = await rows(body.session_id);
      expect(page.body.rows.map((r) => r.city)).toEqual([
        'Portland, OR',
        'Austin',
        'St. Paul, MN',
        'Boise',
      ]);
      expect(page.body.rows[0].donation).toBe(25.5);
    });

    it('transform.py adds total = 141.25 to every row', async () => {
      const { body } = await upload('08-mac-cr-line-endings/donors_cr.csv');
      const job = await runOk(body.session_id, caseCode('08-mac-cr-line-endings/transform.py'));
      const out = await downloadCsv(body.session_id, job.job_id);
      expect(out).toHaveLength(4);
      expect(out.map((r) => r.total)).toEqual(['141.25', '141.25', '141.25', '141.25']);
      expect(out[0]).toMatchObject({ first_name: 'Ann', city: 'Portland, OR', donation: '25.5' });
    });
  });
});
