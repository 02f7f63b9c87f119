/**
 * Job results never held whole in the server's memory (issue 9, api.md "Bounds"), on the
 * real server started as its own process from the sources (ts-node) so that its RSS can be
 * read from /proc: a job returning one cell of 24 million characters (48 MB of UTF-8, far
 * beyond PREVIEW_MAX_CELL_CHARS) succeeds, its preview and a page of rows cut long text
 * with `… [cut: <full length> chars]` counting code points as Python's len(), the CSV
 * download is whole, and 20 such jobs leave the server's RSS less than RSS_BOUND_MB above
 * what it was before the first (main before the change: +2,257 MB, see
 * bench/bounded-results.bench.ts).
 */
import { createHash } from 'node:crypto';
import * as XLSX from 'xlsx';
import { cutText } from '../src/duckdb/cell-cut';
import { ServerProcess, startServerProcess } from './support/server-process';

const MB = 1024 * 1024;
const CAP = 10_000;
/** The stated bound: RSS after 20 jobs minus RSS before the first. */
const RSS_BOUND_MB = 300;
const JOBS = 20;
/** 3 code points, 6 bytes of UTF-8: the cell has 24,000,000 characters and 48 MB. */
const UNIT = 'ab🎉';
const REPEAT = 8_000_000;
const CODE = `import pandas as pd

def transform(df):
    return pd.DataFrame({"big": [${JSON.stringify(UNIT)} * ${REPEAT}], "n": [1]})
`;
/** An uploaded cell of 30,000 code points (é is 2 bytes in UTF-8, 🎉 4). */
const LONG_UPLOADED = 'é🎉'.repeat(15_000);

jest.setTimeout(600_000);

type Json = Record<string, unknown>;

async function runJob(url: string, session: string): Promise<Json> {
  const res = await fetch(`${url}/api/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: session, code: CODE }),
  });
  const { job_id: job } = (await res.json()) as { job_id: string };
  expect(res.status).toBe(200);
  for (;;) {
    const body = (await (await fetch(`${url}/api/v1/execute/${session}/${job}`)).json()) as Json;
    if (body.status === 'success' || body.status === 'error') return { ...body, job_id: job };
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('bounded job results (issue 9)', () => {
  let server: ServerProcess;
  let session: string;
  /** RSS before any job, in MB. */
  let baseline: number;

  beforeAll(async () => {
    server = await startServerProcess({
      env: {
        LOG_LEVEL: 'warn',
        SANDBOX_MAX_RESULT_MB: '256',
        SANDBOX_MAX_MEMORY_MB: '2048',
        SANDBOX_TIMEOUT_SECONDS: '120',
        PREVIEW_MAX_CELL_CHARS: String(CAP),
        RATE_LIMIT_EXECUTE_MAX: '1000000',
        RATE_LIMIT_UPLOAD_MAX: '1000000',
      },
    });
    const form = new FormData();
    const csv = `id,text\n1,${LONG_UPLOADED}\n2,short\n`;
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'long.csv');
    const res = await fetch(`${server.url}/api/v1/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    session = ((await res.json()) as { session_id: string }).session_id;
    baseline = server.rssBytes() / MB;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('GET rows cuts a long uploaded value to the cap, with its length in code points', async () => {
    const res = await fetch(`${server.url}/api/v1/sessions/${session}/rows?offset=0&limit=10`);
    const body = (await res.json()) as { rows: Json[]; limit: number; total: number };
    expect(res.status).toBe(200);
    expect(body.rows.map((r) => r.id)).toEqual([1, 2]);
    expect(body.rows[0].text).toBe(`${'é🎉'.repeat(5_000)}… [cut: 30000 chars]`);
    expect(body.rows[0].text).toBe(cutText(LONG_UPLOADED, CAP));
    expect(body.rows[1].text).toBe('short');
  });

  it('a 48 MB cell: the job succeeds, the preview is cut, the CSV download is whole', async () => {
    const job = await runJob(server.url, session);
    expect(job.error_message).toBeNull();
    expect(job.status).toBe('success');
    const [row] = job.preview_rows as Json[];
    const expected = `${UNIT.repeat(3_333)}a… [cut: ${3 * REPEAT} chars]`;
    expect(row.big).toBe(expected);
    expect(row.n).toBe(1);
    expect(job.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/'big' has values longer than 10,000/)]),
    );

    const csv = await fetch(`${server.url}/api/v1/execute/${session}/${String(job.job_id)}/output`);
    expect(csv.status).toBe(200);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of csv.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    const whole = `big,n\n${UNIT.repeat(REPEAT)},1\n`;
    expect(bytes).toBe(Buffer.byteLength(whole));
    expect(hash.digest('hex')).toBe(createHash('sha256').update(whole).digest('hex'));

    // The XLSX download cuts at Excel's 32,767 characters per cell, as before.
    const xlsx = await fetch(
      `${server.url}/api/v1/execute/${session}/${String(job.job_id)}/output?format=xlsx`,
    );
    expect(xlsx.status).toBe(200);
    const book = XLSX.read(Buffer.from(await xlsx.arrayBuffer()));
    const cell = String(book.Sheets[book.SheetNames[0]].A2.v);
    expect(cell.startsWith(`${UNIT.repeat(8_191)}ab`)).toBe(true);
    expect(cell.length).toBeLessThanOrEqual(32_767);
  });

  it(`${JOBS} more such jobs leave the server's RSS within ${RSS_BOUND_MB} MB of where it was`, async () => {
    for (let i = 0; i < JOBS; i++) {
      const job = await runJob(server.url, session);
      expect(job.status).toBe('success');
      expect(JSON.stringify(job.preview_rows).length).toBeLessThan(CAP * 4 + 200);
    }
    // Stated bound (README "Bounds"); main before the change grew by ~2,257 MB here.
    expect(server.rssBytes() / MB - baseline).toBeLessThan(RSS_BOUND_MB);
  });
});
