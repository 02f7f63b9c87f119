import request from 'supertest';
import * as XLSX from 'xlsx';
import { run } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const ROWS = 60_000;
const WIDE = `import pandas as pd
import numpy as np

def transform(df):
    i = np.arange(${ROWS})
    cols = {}
    for k in range(8):
        cols[f"n{k}"] = i * (k + 1)
        cols[f"t{k}"] = pd.Series(i % 997).astype(str).radd("item ")
        cols[f"d{k}"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 1000, unit="h")
    return pd.DataFrame(cols)
`;

describe('GET /health while a large XLSX download is written', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SANDBOX_POOL_SIZE: '0' });
  });
  afterAll(async () => t.close());

  it('answers, one request after another, before the download finishes', async () => {
    const sid = await uploadCsv(t, 'a\n1\n');
    const job = await run(t, sid, WIDE);
    expect(job.output_row_count).toBe(ROWS);
    let finished = false;
    const download = request(t.http)
      .get(`${t.prefix}/execute/${sid}/${job.job_id}/output?format=xlsx`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .then((res) => {
        finished = true;
        return res;
      });
    let answeredDuring = 0;
    while (!finished) {
      await request(t.http).get('/health').expect(200);
      if (!finished) answeredDuring++;
    }
    const res = await download;
    expect(res.status).toBe(200);
    // The event loop was free throughout: probes kept being answered while it was written.
    expect(answeredDuring).toBeGreaterThanOrEqual(5);
    const sheet = XLSX.read(res.body as Buffer, { type: 'buffer', dense: true }).Sheets.output;
    expect(XLSX.utils.decode_range(sheet['!ref']!).e.r).toBe(ROWS);
  });
});
