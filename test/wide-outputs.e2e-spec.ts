/**
 * Wide tables within bounded resources (issue 9): a job whose output has thousands of
 * columns is stored and previewed in time linear in its cells (no window over every
 * column, no optimizer pass that grows faster than the select list), and a page of rows
 * of a wide upload with long text stays within ROWS_PAGE_MAX_BYTES and DuckDB's memory
 * limit. Real DuckDB, real sandbox; generous jest timeouts, no timed assertions.
 */
import request from 'supertest';
import { run } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const WIDE_COLUMNS = 3000;
const WIDE_ROWS = 50;
const CELL_CHARS = 200;

describe('wide outputs and wide row pages', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      DUCKDB_MEMORY_LIMIT_MB: '512',
      ROWS_PAGE_MAX_BYTES: String(2 * 1024 * 1024),
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('a job returning 5,000 columns succeeds with its preview', async () => {
    const session = await uploadCsv(t, 'a\n1\n');
    const code = [
      'import pandas as pd',
      '',
      'def transform(df):',
      '    return pd.DataFrame({f"c{i}": [i, i + 1] for i in range(5000)})',
      '',
    ].join('\n');
    const job = await run(t, session, code);
    expect(job.status).toBe('success');
    expect(job.preview_rows).toHaveLength(2);
    const first = job.preview_rows[0] as Record<string, number>;
    expect(Object.keys(first)).toHaveLength(5000);
    expect(first.c4999).toBe(4999);
    expect((job.preview_rows[1] as Record<string, number>).c0).toBe(1);
  }, 300_000);

  it('a page of a 3,000-column upload of long text answers 200 with the rows that fit', async () => {
    const cell = 'x'.repeat(CELL_CHARS);
    const header = Array.from({ length: WIDE_COLUMNS }, (_, i) => `c${i}`).join(',');
    const line = Array.from({ length: WIDE_COLUMNS }, () => cell).join(',');
    const csv = `${header}\n${Array.from({ length: WIDE_ROWS }, () => line).join('\n')}\n`;
    const session = await uploadCsv(t, csv);
    const res = await request(t.http)
      .get(`${t.prefix}/sessions/${session}/rows?offset=0&limit=1000`)
      .expect(200);
    const page = res.body as { rows: Record<string, string>[]; limit: number; total: number };
    // Each row holds 600,000 bytes of text: three fit in 2 MiB.
    expect(page.rows).toHaveLength(3);
    expect(page).toMatchObject({ offset: 0, limit: 3, total: WIDE_ROWS });
    expect(page.rows[2].c2999).toBe(cell);
  }, 300_000);
});
