/**
 * The budgets of previews and row pages (api.md "Bounds", README): PREVIEW_MAX_BYTES keeps
 * a job's preview to its first rows whose JSON fits (none when the first alone does not,
 * with a warning either way), ROWS_PAGE_MAX_BYTES stops a page of rows early (one row at
 * least) and says so in `limit`; cut values carry the marker. Real DuckDB, real sandbox.
 */
import request from 'supertest';
import { run } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const ROWS = 50;
const TEXT = 'a'.repeat(100);
/** ids 1..50, each with 100 characters of text: 101..104 bytes of JSON values a row. */
const CSV = `id,text\n${Array.from({ length: ROWS }, (_, i) => `${i + 1},${TEXT}`).join('\n')}\n`;

interface RowsPage {
  rows: { id: number; text: string }[];
  offset: number;
  limit: number;
  total: number;
}

describe('preview and row page budgets', () => {
  let t: TestApp;
  let session: string;

  beforeAll(async () => {
    t = await startTestApp({
      PREVIEW_MAX_CELL_CHARS: '200',
      PREVIEW_MAX_BYTES: '4096',
      ROWS_PAGE_MAX_BYTES: '1024',
    });
    session = await uploadCsv(t, CSV);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a page of rows stops once its bytes pass ROWS_PAGE_MAX_BYTES, and the next page follows on', async () => {
    const first = (
      await request(t.http)
        .get(`${t.prefix}/sessions/${session}/rows?offset=0&limit=50`)
        .expect(200)
    ).body as RowsPage;
    // Each row counts its text (100 bytes) and 32 for the integer: 7 rows make 924 bytes.
    expect(first.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(first).toMatchObject({ offset: 0, limit: 7, total: ROWS });
    const next = (
      await request(t.http)
        .get(`${t.prefix}/sessions/${session}/rows?offset=${first.limit}&limit=50`)
        .expect(200)
    ).body as RowsPage;
    expect(next.rows[0]).toEqual({ id: 8, text: TEXT });
    const last = (
      await request(t.http)
        .get(`${t.prefix}/sessions/${session}/rows?offset=48&limit=50`)
        .expect(200)
    ).body as RowsPage;
    expect(last).toMatchObject({ limit: 50, total: ROWS });
    expect(last.rows.map((r) => r.id)).toEqual([49, 50]);
  });

  it("a job's preview keeps the rows whose JSON fits in PREVIEW_MAX_BYTES and says so", async () => {
    const job = await run(t, session, 'def transform(df):\n    return df\n');
    expect(job.status).toBe('success');
    // JSON values: id (1 or 2 digits) and the quoted text (102): rows 1-39 make 4,047 bytes.
    expect(job.preview_rows.map((r) => r.id)).toEqual(Array.from({ length: 39 }, (_, i) => i + 1));
    expect(job.warnings).toContain(
      'The preview shows the first 39 rows only: more would pass its limit of 4,096 bytes (PREVIEW_MAX_BYTES); downloads hold every row.',
    );
    expect(job.output_row_count).toBe(ROWS);
  });

  it('a first row larger than PREVIEW_MAX_BYTES leaves the preview empty; values are cut', async () => {
    const code = [
      'import pandas as pd',
      '',
      'def transform(df):',
      '    return pd.DataFrame({f"c{i}": ["é" * 300] for i in range(12)})',
      '',
    ].join('\n');
    const wide = await run(t, session, code);
    expect(wide.status).toBe('success');
    expect(wide.preview_rows).toEqual([]);
    expect(wide.warnings).toContain(
      'The preview shows no rows: the first alone would pass its limit of 4,096 bytes (PREVIEW_MAX_BYTES); downloads hold every row.',
    );
    const narrow = await run(
      t,
      session,
      'import pandas as pd\n\ndef transform(df):\n    return pd.DataFrame({"c": ["é" * 300]})\n',
    );
    expect(narrow.preview_rows).toEqual([{ c: `${'é'.repeat(200)}… [cut: 300 chars]` }]);
    expect(narrow.warnings).toContain(
      "Column 'c' has values longer than 200 characters: the preview cuts them (saying how long each is); downloads hold them whole.",
    );
  });

  it('a preview of 1,100 columns (sizes summed without nesting past the depth limit)', async () => {
    const code =
      'import pandas as pd\n\ndef transform(df):\n    return pd.DataFrame({f"c{i}": [0] for i in range(1100)})\n';
    const job = await run(t, session, code);
    expect(job.status).toBe('success');
    expect(job.preview_rows).toHaveLength(1);
    expect(Object.keys(job.preview_rows[0])).toHaveLength(1100);
  });
});
