/**
 * What an upload becomes counts, not only the file (issue 9): a small workbook whose cells
 * all use one long shared string is refused by XLSX_MAX_CELL_TEXT_MB, and the session's
 * input cache (the rows as jobs read them) is counted in SESSION_MAX_BYTES from the upload
 * on, so an upload the budget admits can run its jobs.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { run } from './support/execution-client';
import { writeHostileXlsx } from './support/hostile-xlsx';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

jest.setTimeout(300_000);

const KB = 1024;
const identity = 'def transform(df):\n    return df.head(3)\n';

describe('upload budgets count the cached table', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'acb-expanded-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => t?.close());

  async function book(name: string, columns: number, rows: number, stringChars: number) {
    const path = join(dir, name);
    await writeHostileXlsx(path, 'one-shared-string-everywhere', { columns, rows, stringChars });
    return path;
  }

  it("refuses the reviewer's 262 KB workbook that expands to ~1 GB of cell text (default caps)", async () => {
    t = await startTestApp({});
    const path = await book('everywhere.xlsx', 2_000, 50, 10_000);
    expect(statSync(path).size).toBeLessThan(1024 * KB);
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(path), 'everywhere.xlsx')
      .expect(400);
    expect(res.body.detail).toMatch(
      /shared string written out in each cell.*more than 256 MB \(XLSX_MAX_CELL_TEXT_MB\)/,
    );
  });

  it('measures a 2,000-column table within the caps and accepts it', async () => {
    t = await startTestApp({});
    const path = await book('wide.xlsx', 2_000, 3, 100);
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(path), 'wide.xlsx')
      .expect(200);
    expect(res.body.row_count).toBe(2);
  });

  it('counts the expanded text against SESSION_MAX_BYTES', async () => {
    t = await startTestApp({ SESSION_MAX_BYTES: String(512 * KB) });
    // 100 x 10 cells of one 1,000-character string: a ~10 KB file, ~1 MB of text.
    const path = await book('expands.xlsx', 100, 10, 1_000);
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(path), 'expands.xlsx')
      .expect(413);
    expect(res.body.detail).toMatch(
      /rows as cached for jobs \(\d+(\.\d)? (KB|MB).*SESSION_MAX_BYTES is 512 KB/,
    );
  });

  it('SESSION_MAX_BYTES: an upload whose cache would not fit is refused at once, one admitted runs its jobs', async () => {
    // ~200 KB of text: the cache takes about as much again.
    const csv = [
      'name',
      ...Array.from({ length: 4_000 }, (_, i) => `value-${i}-`.padEnd(48, 'x')),
    ].join('\n');
    t = await startTestApp({ SESSION_MAX_BYTES: String(300 * KB) });
    const refused = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.from(csv), 'data.csv')
      .expect(413);
    expect(refused.body.detail).toMatch(/SESSION_MAX_BYTES is 300 KB/);
    await t.close();

    t = await startTestApp({ SESSION_MAX_BYTES: String(600 * KB) });
    const session = await uploadCsv(t, csv);
    for (let i = 0; i < 2; i++) expect((await run(t, session, identity)).status).toBe('success');
  });
});
