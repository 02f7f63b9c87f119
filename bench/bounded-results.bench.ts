/**
 * Server memory under jobs with huge cells (issue 9): a transform returns one row whose
 * text cell is CELL_MB MB; JOBS such jobs run one after another in one session, each
 * polled to the end (its preview fetched) as a client would. Figures: the server's RSS
 * (from /proc) before the first and after the last job, and the CSV download's size.
 *
 * Baseline, measured on main before the change (e0f0edb, same settings, same machine):
 * RSS 163 MB before, 2,420 MB after 20 jobs (+2,257 MB): each preview held the 50 MB value
 * as JS strings, each output table another copy in DuckDB's memory. With the preview cut
 * alone: 164 MB before, 1,423 MB after (+1,259 MB), the tables' share; hence outputs are
 * Parquet files read through views. With both: 175 MB before, 241 MB after (+66 MB).
 */
import { writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { curlUpload, DATA_DIR, startServer } from './support/server';

const JOBS = 20;
const CELL_MB = 50;
const BASELINE = { beforeMb: 163, afterMb: 2420 };
const CODE = `import pandas as pd

def transform(df):
    return pd.DataFrame({"big": ["x" * ${CELL_MB * 1_000_000}], "n": [1]})
`;

const mb = (bytes: number): number => Math.round(bytes / (1024 * 1024));

async function runJob(url: string, session: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: session, code: CODE }),
  });
  const { job_id: job } = (await res.json()) as { job_id?: string };
  if (!job) throw new Error('submit failed');
  for (;;) {
    const body = (await (await fetch(`${url}/api/v1/execute/${session}/${job}`)).json()) as Record<
      string,
      unknown
    >;
    if (body.status === 'success') return { ...body, job_id: job };
    if (body.status === 'error') throw new Error(`job failed: ${String(body.error_message)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function run(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const input = join(DATA_DIR, 'tiny.csv');
  await writeFile(input, 'a,b\n1,x\n2,y\n');
  const server = await startServer({
    SANDBOX_MAX_RESULT_MB: '256',
    SANDBOX_MAX_MEMORY_MB: '2048',
    SANDBOX_SCRATCH_MB: '64',
    LOG_LEVEL: 'warn',
  });
  try {
    const { body } = await curlUpload(server.url, input);
    const session = body.session_id as string;
    await new Promise((r) => setTimeout(r, 2000));
    const before = server.rssBytes();
    let last: Record<string, unknown> = {};
    let peak = before;
    for (let i = 0; i < JOBS; i++) {
      last = await runJob(server.url, session);
      peak = Math.max(peak, server.rssBytes());
    }
    await new Promise((r) => setTimeout(r, 2000));
    const after = server.rssBytes();
    const csv = await fetch(
      `${server.url}/api/v1/execute/${session}/${String(last.job_id)}/output`,
    );
    const csvBytes = (await csv.arrayBuffer()).byteLength;
    const preview = JSON.stringify(last.preview_rows).length;
    console.log(`${JOBS} jobs, each one row with a ${CELL_MB} MB text cell`);
    console.log(
      `  server RSS: before ${mb(before)} MB, after ${mb(after)} MB (+${mb(after - before)} MB), peak ${mb(peak)} MB`,
    );
    console.log(
      `  baseline (main before issue 9): before ${BASELINE.beforeMb} MB, after ${BASELINE.afterMb} MB (+${BASELINE.afterMb - BASELINE.beforeMb} MB)`,
    );
    console.log(`  last job: preview JSON ${preview} chars, CSV download ${csvBytes} bytes`);
  } finally {
    await server.stop();
  }
}
