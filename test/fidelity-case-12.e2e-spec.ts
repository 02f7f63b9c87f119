/**
 * Fidelity case 12 (test/fixtures/cases/12-output-unnamed-index, copied from
 * ../shared/cases/fidelity): results that keep their labels in the index. The README's
 * right behaviour: an index that holds data comes back as leading columns, as
 * reset_index() names them, so the download holds the region names with their counts and
 * the statistic names of describe(). Checked against pandas itself.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import * as XLSX from 'xlsx';
import { run } from './support/execution-client';
import { PANDAS_PYTHON } from './support/fidelity';
import { CASES_DIR, startTestApp, TestApp } from './support/test-app';

const CASE = join(CASES_DIR, '12-output-unnamed-index');
const code = (name: string): string => readFileSync(join(CASE, name), 'utf8');

/** What pandas writes for the case's transform, its index as reset_index() makes it columns. */
function pandasCsv(transform: string): string {
  return execFileSync(
    PANDAS_PYTHON,
    [
      '-c',
      `import sys, pandas as pd
namespace = {}
exec(open(sys.argv[1]).read(), namespace)
out = namespace["transform"](pd.read_csv(sys.argv[2]))
sys.stdout.write(out.reset_index().to_csv(index=False))`,
      join(CASE, transform),
      join(CASE, 'orders.csv'),
    ],
    { encoding: 'utf8' },
  );
}

describe('fidelity case 12: an index that holds data is kept', () => {
  let t: TestApp;
  let session: string;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(join(CASE, 'orders.csv')), 'orders.csv')
      .expect(200);
    session = (res.body as { session_id: string }).session_id;
  });
  afterAll(async () => t.close());

  const download = async (job: string, format: string): Promise<Buffer> =>
    (
      await request(t.http)
        .get(`${t.prefix}/execute/${session}/${job}/output`)
        .query({ format })
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200)
    ).body as Buffer;

  it('transform.py (value_counts): the regions come back with their counts', async () => {
    const job = await run(t, session, code('transform.py'));
    expect(job.status).toBe('success');
    expect(job.preview_columns).toEqual(['index', 'region']);
    expect(job.preview_rows).toEqual([
      { index: 'North', region: 3 },
      { index: 'South', region: 2 },
      { index: 'East', region: 1 },
    ]);
    expect(job.warnings).toEqual([
      "The result's index was kept as its first column 'index', as reset_index() names it.",
    ]);
    const csv = (await download(job.job_id, 'csv')).toString('utf8');
    expect(csv).toBe('index,region\nNorth,3\nSouth,2\nEast,1\n');
    expect(csv).toBe(pandasCsv('transform.py'));
    const book = XLSX.read(await download(job.job_id, 'xlsx'), { type: 'buffer' });
    expect(XLSX.utils.sheet_to_json(book.Sheets[book.SheetNames[0]])).toEqual(job.preview_rows);
  });

  it('transform_describe.py: the statistic names come back', async () => {
    const job = await run(t, session, code('transform_describe.py'));
    expect(job.status).toBe('success');
    expect(job.preview_columns).toEqual(['index', 'amount']);
    const csv = (await download(job.job_id, 'csv')).toString('utf8');
    expect(csv.split('\n').map((line) => line.split(',')[0])).toEqual([
      'index',
      'count',
      'mean',
      'std',
      'min',
      '25%',
      '50%',
      '75%',
      'max',
      '',
    ]);
    expect(csv).toBe(pandasCsv('transform_describe.py'));
    const json = JSON.parse((await download(job.job_id, 'json')).toString('utf8')) as unknown[];
    expect(json[0]).toEqual({ index: 'count', amount: 6 });
  });

  it('transform_control_named.py (a named index): the group keys come back', async () => {
    const job = await run(t, session, code('transform_control_named.py'));
    expect(job.status).toBe('success');
    expect(job.preview_columns).toEqual(['region', 'amount']);
    const csv = (await download(job.job_id, 'csv')).toString('utf8');
    expect(csv).toBe('region,amount\nEast,300.0\nNorth,179.5\nSouth,144.5\n');
    expect(csv).toBe(pandasCsv('transform_control_named.py'));
  });
});
