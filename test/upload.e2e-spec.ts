import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CORPUS_DIR, startTestApp, TestApp } from './support/test-app';

describe('POST /upload (CSV) and the session endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ MAX_UPLOAD_SIZE_MB: '1' });
  });
  afterAll(async () => t.close());

  const upload = (content: Buffer | string, filename: string) =>
    request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);

  it('caches a CSV and answers the contract', async () => {
    const res = await upload(
      'id,amount,region,when,ok\n1,2.5,north,2024-01-02,true\n2,3,south,2024-02-03,false\n',
      'sales.csv',
    ).expect(200);
    expect(res.body).toMatchObject({
      filename: 'sales.csv',
      row_count: 2,
      column_count: 5,
      columns: ['id', 'amount', 'region', 'when', 'ok'],
      dtypes: {
        id: 'int64',
        amount: 'float64',
        region: 'object',
        when: 'datetime64[ns]',
        ok: 'bool',
      },
    });
    expect(res.body.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.file_size_bytes).toBeGreaterThan(50);
    expect(res.body).not.toHaveProperty('renamed_columns');
    expect(res.headers['server-timing']).toMatch(/^ingest;dur=\d+$/);
  });

  it('reports int columns with gaps as float64 and names columns as pandas does', async () => {
    const res = await upload('a,a,,b\n1,x,y,\n2,z,w,5\n', 'dup.csv').expect(200);
    expect(res.body.columns).toEqual(['a', 'a.1', 'Unnamed: 2', 'b']);
    expect(res.body.renamed_columns).toEqual({ a: 'a.1', '': 'Unnamed: 2' });
    expect(res.body.dtypes.b).toBe('float64');
    expect(res.body.warnings.join(' ')).toMatch(/2 column names were empty or repeated/);
  });

  it('keeps headers that differ only in case, and names SQL or JavaScript would misread', async () => {
    const res = await upload(
      'A,a,rowid,__proto__, spaced ,2022\n1,2,3,4,5,6\n7,8,9,10,11,12\n',
      'case.csv',
    ).expect(200);
    expect(res.body.columns).toEqual(['A', 'a', 'rowid', '__proto__', ' spaced ', '2022']);
    expect(Object.keys(res.body.dtypes)).toHaveLength(6);
    expect(res.body.dtypes.__proto__).toBe('int64');
    const rows = await request(t.http)
      .get(`${t.prefix}/sessions/${res.body.session_id}/rows`)
      .expect(200);
    // A column named rowid must not stand in for the file order (rows would be mis-paired).
    expect(rows.body.rows.map((r: Record<string, number>) => [r.A, r.rowid, r.__proto__])).toEqual([
      [1, 3, 4],
      [7, 9, 10],
    ]);
    expect(rows.body.rows[1]).toEqual(
      JSON.parse('{"A":7,"a":8,"rowid":9,"__proto__":10," spaced ":11,"2022":12}'),
    );
  });

  it("answers a header row of names that repeat pandas' own renames", async () => {
    const res = await upload('a,a,__renaming_1,a.1\n1,2,3,4\n', 'renames.csv').expect(200);
    expect(res.body.columns).toEqual(['a', 'a.2', '__renaming_1', 'a.1']);
  });

  it.each([
    ['semicolon', 'x;y\n1,5;a\n2,5;b\n', ['x', 'y']],
    ['tab', 'x\ty\n1\ta\n', ['x', 'y']],
    ['pipe', 'x|y\n1|a\n', ['x', 'y']],
  ])('sniffs a %s delimiter', async (_name, csv, columns) => {
    const res = await upload(csv, 'd.csv').expect(200);
    expect(res.body.columns).toEqual(columns);
  });

  it.each([
    [
      'UTF-8 with BOM',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,city\nZoë,Köln\n')]),
    ],
    [
      'UTF-16 LE with BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name,city\nZoë,Köln\n', 'utf16le')]),
    ],
    ['cp1252', Buffer.from('name,city\nZo\xeb,K\xf6ln\n', 'latin1')],
  ])('decodes %s', async (_name, bytes) => {
    const res = await upload(bytes, 'enc.csv').expect(200);
    expect(res.body.columns).toEqual(['name', 'city']);
    const rows = await request(t.http)
      .get(`${t.prefix}/sessions/${res.body.session_id}/rows`)
      .expect(200);
    expect(rows.body.rows).toEqual([{ name: 'Zoë', city: 'Köln' }]);
  });

  it('decodes the cp1252 euro sign', async () => {
    const res = await upload(
      Buffer.from([...Buffer.from('price\n'), 0x80, ...Buffer.from('5\n')]),
      'eur.csv',
    ).expect(200);
    const rows = await request(t.http)
      .get(`${t.prefix}/sessions/${res.body.session_id}/rows`)
      .expect(200);
    expect(rows.body.rows).toEqual([{ price: '€5' }]);
  });

  it('pads short rows and names the line of a row with too many fields', async () => {
    const short = await upload('a,b,c\n1,2,3\n4,5\n', 'short.csv').expect(200);
    expect(short.body.row_count).toBe(2);
    const long = await upload('a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n', 'long.csv').expect(400);
    expect(long.body.detail).toMatch(/Line 3 has 4 fields but the header has 3/);
  });

  it.each([
    ['wrong extension', 'x', 'data.json', /not accepted/],
    ['no extension', 'x', 'data', /not accepted/],
    ['empty file', '', 'empty.csv', /empty/],
    ['only blank lines', '\n\n  \n', 'blank.csv', /empty/],
    [
      'binary content',
      Buffer.from([0x00, 0x01, 0x02, 0x03, 0x00, 0xff]),
      'bin.csv',
      /not a CSV text file/,
    ],
    ['an xlsx renamed to csv', Buffer.from('PK\u0003\u0004rest-of-zip'), 'book.csv', /ZIP archive/],
  ])('refuses %s with 400', async (_name, content, filename, message) => {
    const res = await upload(content as string | Buffer, filename).expect(400);
    expect(res.body.detail).toMatch(message);
  });

  it('refuses a request without a file with 400', async () => {
    const res = await request(t.http).post(`${t.prefix}/upload`).field('sheet', 'x').expect(400);
    expect(res.body.detail).toMatch(/field 'file'/);
    const wrongField = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('document', Buffer.from('a\n1\n'), 'a.csv')
      .expect(400);
    expect(wrongField.body.detail).toMatch(/send the file as 'file'/);
  });

  it('refuses a file over MAX_UPLOAD_SIZE_MB with 413 and keeps nothing', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 'a,b\n');
    const res = await upload(big, 'big.csv').expect(413);
    expect(res.body.detail).toMatch(/larger than the 1 MB upload limit/);
    expect(readdirSync(join(t.root, 'inbound', '.incoming'))).toEqual([]);
  });

  it('pages rows in file order with a capped limit, and deletes the session', async () => {
    const lines = ['n,label', ...Array.from({ length: 1500 }, (_, i) => `${i},row ${i}`)].join(
      '\n',
    );
    const { body } = await upload(lines, 'many.csv').expect(200);
    const id = body.session_id as string;
    const page = await request(t.http)
      .get(`${t.prefix}/sessions/${id}/rows?offset=10&limit=3`)
      .expect(200);
    expect(page.body).toEqual({
      rows: [
        { n: 10, label: 'row 10' },
        { n: 11, label: 'row 11' },
        { n: 12, label: 'row 12' },
      ],
      offset: 10,
      limit: 3,
      total: 1500,
    });
    const capped = await request(t.http)
      .get(`${t.prefix}/sessions/${id}/rows?limit=100000`)
      .expect(200);
    expect(capped.body.limit).toBe(1000);
    expect(capped.body.rows).toHaveLength(1000);
    const bad = await request(t.http).get(`${t.prefix}/sessions/${id}/rows?offset=-1`).expect(422);
    expect(bad.body.detail[0].loc).toEqual(['query', 'offset']);

    const meta = await request(t.http).get(`${t.prefix}/sessions/${id}`).expect(200);
    expect(meta.body).toMatchObject({ session_id: id, row_count: 1500, jobs: [] });
    expect(Date.parse(meta.body.expires_at)).toBeGreaterThan(Date.parse(meta.body.created_at));

    await request(t.http).delete(`${t.prefix}/sessions/${id}`).expect(204);
    await request(t.http).get(`${t.prefix}/sessions/${id}`).expect(404);
    await request(t.http).get(`${t.prefix}/sessions/${id}/rows`).expect(404);
    await request(t.http).delete(`${t.prefix}/sessions/${id}`).expect(404);
    expect(readdirSync(join(t.root, 'inbound')).filter((d) => d === id)).toEqual([]);
  });

  it('types a column by the whole file when a late value does not fit the sample', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i},${i}`);
    const csv = ['id,code', ...rows, '30000,ABC-1'].join('\n');
    const res = await upload(csv, 'late.csv').expect(200);
    expect(res.body).toMatchObject({ row_count: 30_001, dtypes: { id: 'int64', code: 'object' } });
  });

  it('returns JSON-safe values (NaN and infinities as null)', async () => {
    const { body } = await upload('x,y\n1.5,a\nnan,b\ninf,c\n', 'nan.csv').expect(200);
    const rows = await request(t.http)
      .get(`${t.prefix}/sessions/${body.session_id}/rows`)
      .expect(200);
    expect(rows.body.rows.map((r: { x: unknown }) => r.x)).toEqual([1.5, null, null]);
  });

  describe('csv-spectrum: cached rows equal the expected JSON', () => {
    const dir = join(CORPUS_DIR, 'csv-spectrum');
    const names = readdirSync(join(dir, 'csvs')).filter((f) => f.endsWith('.csv'));
    it.each(names)('%s', async (name) => {
      const expected = JSON.parse(
        readFileSync(join(dir, 'json', name.replace(/\.csv$/, '.json')), 'utf8'),
      ) as Record<string, string>[];
      const res = await upload(readFileSync(join(dir, 'csvs', name)), name).expect(200);
      const rows = await request(t.http)
        .get(`${t.prefix}/sessions/${res.body.session_id}/rows?limit=1000`)
        .expect(200);
      // The JSON files hold strings; typed cells compare by their text, and numbers
      // written with leading zeros lose them, as in pandas.read_csv.
      const asText = rows.body.rows.map((r: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v),
          ]),
        ),
      );
      const asPandas = expected.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, /^0\d+$/.test(v) ? String(Number(v)) : v]),
        ),
      );
      expect(asText).toEqual(asPandas);
    });
  });
});
