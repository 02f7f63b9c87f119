import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { RESTART_CUT_JOB } from '../src/execution/jobs/file-job-store';
import { jobResult, JobResult, run, submit } from './support/execution-client';
import { startTestApp, TestApp } from './support/test-app';
import { cell, oneSheet, row, text } from './support/xlsx-builder';

const CSV = 'id,name,amount,when\n1,ann,2.5,2024-01-02\n2,bob,,2024-03-04\n3,"c, d",7.25,\n';
const XLSX = oneSheet([
  row(1, text('A1', 'city'), text('B1', 'n')),
  row(2, text('A2', 'Oslo'), cell('B2', 3)),
  row(3, text('A3', 'Rome'), cell('B3', 4.5)),
]);
const DOUBLE = 'def transform(df):\n    return df.assign(twice=df["amount"] * 2)\n';
const SLOW = 'def transform(df):\n    while True:\n        pass\n';

function body(res: request.Response): Buffer {
  return res.body as Buffer;
}

function download(t: TestApp, session: string, job: string, format: string): Promise<Buffer> {
  return request(t.http)
    .get(`${t.prefix}/execute/${session}/${job}/output?format=${format}`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    })
    .expect(200)
    .then(body);
}

async function upload(t: TestApp, file: Buffer, name: string): Promise<Record<string, unknown>> {
  const res = await request(t.http)
    .post(`${t.prefix}/upload`)
    .attach('file', file, name)
    .expect(200);
  return res.body as Record<string, unknown>;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sessions survive a restart (embedded shape: file stores, Parquet tables)', () => {
  const env = { SANDBOX_MAX_CONCURRENCY: '1', SANDBOX_TIMEOUT_SECONDS: '120' };
  let first: TestApp;
  let second: TestApp | undefined;

  afterAll(async () => {
    await (second ?? first)?.close();
  });

  it('gives back sessions, rows, jobs and outputs after a restart; cut jobs fail; expired sessions go', async () => {
    first = await startTestApp(env);
    const csv = await upload(first, Buffer.from(CSV), 'data.csv');
    const xlsx = await upload(first, XLSX, 'book.xlsx');
    const expiring = await upload(first, Buffer.from('a\n1\n'), 'old.csv');
    const csvId = csv.session_id as string;
    const xlsxId = xlsx.session_id as string;
    const expiringId = expiring.session_id as string;

    const done = await run(first, csvId, DOUBLE);
    expect(done.status).toBe('success');
    const sessionBefore = (
      await request(first.http).get(`${first.prefix}/sessions/${csvId}`).expect(200)
    ).body;
    const xlsxBefore = (
      await request(first.http).get(`${first.prefix}/sessions/${xlsxId}`).expect(200)
    ).body;
    const rowsBefore = (
      await request(first.http).get(`${first.prefix}/sessions/${csvId}/rows`).expect(200)
    ).body;
    const xlsxRowsBefore = (
      await request(first.http).get(`${first.prefix}/sessions/${xlsxId}/rows`).expect(200)
    ).body;
    const csvOut = await download(first, csvId, done.job_id, 'csv');
    const parquetOut = await download(first, csvId, done.job_id, 'parquet');

    // A job running when the process dies: its record on disk says running. A clean stop
    // records it cancelled; the file as a kill -9 would have left it is put back after.
    const slow = (await submit(first, xlsxId, SLOW).expect(200)).body.job_id as string;
    const slowFile = join(first.root, 'inbound', xlsxId, 'jobs', `${slow}.json`);
    const atKill = await waitFor(async () => {
      const onDisk = existsSync(slowFile) ? readFileSync(slowFile, 'utf8') : '{}';
      return (JSON.parse(onDisk) as { status?: string }).status === 'running' ? onDisk : undefined;
    }, 'the slow job is recorded running');
    expect((await jobResult(first, xlsxId, slow)).status).toBe('running');

    await first.stop();
    writeFileSync(slowFile, atKill);
    // The third session's time ran out while the server was down.
    const expiringFile = join(first.root, 'inbound', expiringId, 'session.json');
    const record = JSON.parse(readFileSync(expiringFile, 'utf8')) as { expiresAt: number };
    writeFileSync(expiringFile, JSON.stringify({ ...record, expiresAt: Date.now() - 1000 }));

    second = await startTestApp(env, undefined, { root: first.root });
    const t = second;

    expect((await request(t.http).get(`${t.prefix}/sessions/${csvId}`).expect(200)).body).toEqual(
      sessionBefore,
    );
    expect(
      (await request(t.http).get(`${t.prefix}/sessions/${csvId}/rows`).expect(200)).body,
    ).toEqual(rowsBefore);
    expect(
      (await request(t.http).get(`${t.prefix}/sessions/${xlsxId}/rows`).expect(200)).body,
    ).toEqual(xlsxRowsBefore);
    const xlsxAfter = (await request(t.http).get(`${t.prefix}/sessions/${xlsxId}`).expect(200))
      .body as {
      jobs: { job_id: string; status: string }[];
    };
    expect({ ...xlsxAfter, jobs: [] }).toEqual({ ...xlsxBefore, jobs: [] });
    expect(xlsxAfter.jobs).toEqual([expect.objectContaining({ job_id: slow, status: 'error' })]);

    const jobAfter: JobResult = await jobResult(t, csvId, done.job_id);
    expect(jobAfter).toEqual(done);
    expect(await download(t, csvId, done.job_id, 'csv')).toEqual(csvOut);
    expect(await download(t, csvId, done.job_id, 'parquet')).toEqual(parquetOut);

    const cut = await jobResult(t, xlsxId, slow);
    expect(cut).toMatchObject({ status: 'error', error_message: RESTART_CUT_JOB });

    // The reloaded sessions take new jobs, against the rows from before.
    const again = await run(t, csvId, DOUBLE);
    expect(again.status).toBe('success');
    expect(again.preview_rows).toEqual(done.preview_rows);
    const fromBook = await run(t, xlsxId, 'def transform(df):\n    return df[df["n"] > 4]\n');
    expect(fromBook).toMatchObject({ status: 'success', preview_rows: [{ city: 'Rome', n: 4.5 }] });

    // Expired while down: gone, folder and all.
    await request(t.http).get(`${t.prefix}/sessions/${expiringId}`).expect(404);
    expect(existsSync(join(t.root, 'inbound', expiringId))).toBe(false);

    // DELETE after the restart removes the folder.
    await request(t.http).delete(`${t.prefix}/sessions/${xlsxId}`).expect(204);
    expect(existsSync(join(t.root, 'inbound', xlsxId))).toBe(false);
    await request(t.http).get(`${t.prefix}/sessions/${xlsxId}`).expect(404);
    expect(existsSync(join(t.root, 'inbound', csvId, 'table.parquet'))).toBe(true);
  });

  it('ends, at the next start, a session whose rows never reached their file', async () => {
    const root = (second ?? first).root;
    await (second ?? first).stop();
    const t = await startTestApp(env, undefined, { root });
    second = t;
    const id = (await upload(t, Buffer.from(CSV), 'lost.csv')).session_id as string;
    // The Parquet file is written after the answer; a stop waits for it.
    await t.stop();
    expect(existsSync(join(root, 'inbound', id, 'table.parquet'))).toBe(true);
    // As if the process had died between the answer and the write.
    rmSync(join(root, 'inbound', id, 'table.parquet'));
    second = await startTestApp(env, undefined, { root });
    await request(second.http).get(`${second.prefix}/sessions/${id}`).expect(404);
    expect(existsSync(join(root, 'inbound', id))).toBe(false);
  });
});
