import request from 'supertest';
import * as XLSX from 'xlsx';
import { run } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

/** Text cells that open as formulas, beside numbers that must stay numbers (-5, -1.5). */
const CODE = `import pandas as pd

def transform(df):
    return pd.DataFrame({
        "=HEAD": ["=1+2", "@SUM(A1)", "-x", "+x", "\\tx", "\\rx", "plain", "=a,b", None, "-5", 'say "=hi"'],
        "n": [-5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "f": [-1.5, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    })
`;

/** `out.to_csv(index=False)`, checked against pandas; "\r" quoted (INTENDED in output-roundtrip). */
const AS_PANDAS_WRITES_IT = [
  '=HEAD,n,f',
  '=1+2,-5,-1.5',
  '@SUM(A1),1,0.5',
  '-x,2,1.0',
  '+x,3,2.0',
  '\tx,4,3.0',
  '"\rx",5,4.0',
  'plain,6,5.0',
  '"=a,b",7,6.0',
  ',8,7.0',
  '-5,9,8.0',
  '"say ""=hi""",10,9.0',
  '',
].join('\n');

const ESCAPED = [
  "'=HEAD,n,f",
  "'=1+2,-5,-1.5",
  "'@SUM(A1),1,0.5",
  "'-x,2,1.0",
  "'+x,3,2.0",
  "'\tx,4,3.0",
  '"\'\rx",5,4.0',
  'plain,6,5.0',
  '"\'=a,b",7,6.0',
  ',8,7.0',
  "'-5,9,8.0",
  '"say ""=hi""",10,9.0',
  '',
].join('\n');

async function outputJob(t: TestApp): Promise<{ session: string; job: string }> {
  const session = await uploadCsv(t, 'a\n1\n');
  const job = await run(t, session, CODE);
  expect(job).toMatchObject({ status: 'success', error_message: null });
  return { session, job: job.job_id };
}

function download(t: TestApp, session: string, job: string, query: string): request.Test {
  return request(t.http)
    .get(`${t.prefix}/execute/${session}/${job}/output?${query}`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

describe('Downloads opened in spreadsheets: escape_formulas (OWASP CSV injection)', () => {
  describe('with the default DOWNLOAD_ESCAPE_FORMULAS=false', () => {
    let t: TestApp;
    let session: string;
    let job: string;

    beforeAll(async () => {
      t = await startTestApp();
      ({ session, job } = await outputJob(t));
    });
    afterAll(async () => t.close());

    it('writes the CSV as to_csv does when not asked', async () => {
      const res = await download(t, session, job, 'format=csv').expect(200);
      expect((res.body as Buffer).toString('utf8')).toBe(AS_PANDAS_WRITES_IT);
    });

    it("prefixes formula-like text cells and names with ' when asked; numbers stay numbers", async () => {
      const res = await download(t, session, job, 'format=csv&escape_formulas=true').expect(200);
      expect((res.body as Buffer).toString('utf8')).toBe(ESCAPED);
    });

    it('escape_formulas=false is the plain CSV', async () => {
      const res = await download(t, session, job, 'escape_formulas=false').expect(200);
      expect((res.body as Buffer).toString('utf8')).toBe(AS_PANDAS_WRITES_IT);
    });

    it('XLSX text cells are typed strings, never formulas, and keep their text', async () => {
      const res = await download(t, session, job, 'format=xlsx&escape_formulas=true').expect(200);
      const sheet = XLSX.read(res.body as Buffer, { type: 'buffer' }).Sheets.output;
      expect(sheet.A1).toMatchObject({ t: 's', v: '=HEAD' });
      expect(sheet.A2).toMatchObject({ t: 's', v: '=1+2' });
      expect(sheet.A3).toMatchObject({ t: 's', v: '@SUM(A1)' });
      expect(sheet.B2).toMatchObject({ t: 'n', v: -5 });
      for (const cell of ['A1', 'A2', 'A3', 'A4', 'A5'])
        expect(sheet[cell]).not.toHaveProperty('f');
    });

    it('refuses an escape_formulas that is not true or false', async () => {
      const res = await download(t, session, job, 'escape_formulas=yes').expect(422);
      expect(JSON.parse((res.body as Buffer).toString('utf8'))).toEqual({
        detail: [
          {
            loc: ['query', 'escape_formulas'],
            msg: "escape_formulas must be 'true' or 'false'",
            type: 'isIn',
          },
        ],
      });
    });
  });

  describe('with DOWNLOAD_ESCAPE_FORMULAS=true', () => {
    let t: TestApp;
    let session: string;
    let job: string;

    beforeAll(async () => {
      t = await startTestApp({ DOWNLOAD_ESCAPE_FORMULAS: 'true' });
      ({ session, job } = await outputJob(t));
    });
    afterAll(async () => t.close());

    it('escapes by default', async () => {
      const res = await download(t, session, job, 'format=csv').expect(200);
      expect((res.body as Buffer).toString('utf8')).toBe(ESCAPED);
    });

    it('escape_formulas=false still gives the CSV as to_csv writes it', async () => {
      const res = await download(t, session, job, 'escape_formulas=false').expect(200);
      expect((res.body as Buffer).toString('utf8')).toBe(AS_PANDAS_WRITES_IT);
    });
  });
});
