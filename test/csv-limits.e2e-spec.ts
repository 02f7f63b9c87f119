/**
 * CSV files past the reader's limits are read in full or refused with the reason, never
 * cut short in silence (issue 9): a line longer than DuckDB's default limit and longer than
 * the file's head, a line longer than the limit, and a file with too many columns.
 */
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

jest.setTimeout(300_000);

const MB = 1024 * 1024;

describe('CSV line and column limits', () => {
  let t: TestApp;

  beforeAll(async () => (t = await startTestApp({ MAX_UPLOAD_SIZE_MB: '100' })));
  afterAll(async () => t.close());

  const upload = (csv: string) =>
    request(t.http).post(`${t.prefix}/upload`).attach('file', Buffer.from(csv), 'data.csv');

  it('reads a 10 MB line (longer than the head and the default line limit) with the rows after it', async () => {
    const res = await upload(`a,b\n${'x'.repeat(10 * MB)},1\nshort,2\n`).expect(200);
    expect(res.body.row_count).toBe(2);
    const alone = await upload(`a,b\n${'x'.repeat(10 * MB)},1\n`).expect(200);
    expect(alone.body.row_count).toBe(1);
  });

  it('refuses a 40 MB line, saying which line and the limit', async () => {
    const res = await upload(`a,b\n${'x'.repeat(40_000_000)},1\n`).expect(400);
    expect(res.body.detail).toMatch(/^Line 2 is 38\.1 MB long; a line may be at most 32 MB/);
    const followed = await upload(`a,b\n${'x'.repeat(40_000_000)},1\ny,2\n`).expect(400);
    expect(followed.body.detail).toMatch(/^Line 2 is 38\.1 MB long; a line may be at most 32 MB/);
  });

  it('refuses 100,000 columns, saying how many and the limit', async () => {
    const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: 100_000 }, (_, i) => String(i)).join(',');
    const res = await upload(`${header}\n${row}\n`).expect(400);
    expect(res.body.detail).toMatch(/has 100,000 columns; at most 16,384 are accepted/);
  });
});
