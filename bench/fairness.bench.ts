/**
 * Fairness of the job queue: how long a light session's one job waits behind a heavy
 * session that queued 50 jobs just before it, with one worker (SANDBOX_MAX_CONCURRENCY=1)
 * and the per-session cap raised so the 50 are accepted.
 *
 * The plain FIFO baseline comes from the same run: one worker does the same work in
 * either order, so under FIFO the light job would have finished when the last heavy job
 * did. Its queue wait is then (last heavy done - light submitted - light's own run time);
 * with turns it is (light done - light submitted - light's own run time). Times are as the
 * client sees them (polling every few ms).
 */
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { curlUpload, DATA_DIR, median, startServer } from './support/server';

const HEAVY_JOBS = 50;
const ROUNDS = 3;
const ROWS = 20_000;
const POLL_MS = 5;
const REGIONS = ['north', 'south', 'east', 'west', 'central'];

/** A job of some 0.1 s: the same aggregation twenty times. */
const HEAVY = `import pandas as pd

def transform(df):
    out = df
    for i in range(20):
        out = df.groupby("region", as_index=False)["amount"].sum()
    return out
`;
const LIGHT = `def transform(df):
    return df.head(10)
`;

interface Job {
  status: string;
  execution_time_ms: number | null;
}

async function generateCsv(path: string): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  out.write('id,region,amount\n');
  for (let i = 0; i < ROWS; i++) out.write(`${i},${REGIONS[i % 5]},${(i * 7919) % 1000}\n`);
  await new Promise<void>((r) => out.end(() => r()));
}

async function submit(url: string, session: string, code: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: session, code }),
  });
  const body = (await res.json()) as { job_id?: string };
  if (!body.job_id) throw new Error(`submit failed (${res.status}): ${JSON.stringify(body)}`);
  return body.job_id;
}

/** Resolves with the moment (performance.now) the client first sees the job done. */
async function doneAt(url: string, session: string, job: string): Promise<[number, Job]> {
  for (;;) {
    const body = (await (await fetch(`${url}/api/v1/execute/${session}/${job}`)).json()) as Job;
    if (body.status === 'success') return [performance.now(), body];
    if (body.status === 'error') throw new Error(`job ${job} failed`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function run(): Promise<void> {
  const csv = join(DATA_DIR, `fairness-${ROWS}.csv`);
  await generateCsv(csv);
  const server = await startServer({
    SANDBOX_MAX_CONCURRENCY: '1',
    MAX_QUEUED_JOBS_PER_SESSION: String(HEAVY_JOBS + 1),
    RATE_LIMIT_EXECUTE_MAX: '100000',
  });
  try {
    const upload = async (): Promise<string> =>
      (await curlUpload(server.url, csv)).body.session_id as string;
    const fair: number[] = [];
    const fifo: number[] = [];
    const heavyRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [heavy, light] = [await upload(), await upload()];
      const heavyJobs: string[] = [];
      for (let i = 0; i < HEAVY_JOBS; i++) heavyJobs.push(await submit(server.url, heavy, HEAVY));
      const submitted = performance.now();
      const lightJob = await submit(server.url, light, LIGHT);
      const [[lightDone, lightRecord], [heavyDone, heavyRecord]] = await Promise.all([
        doneAt(server.url, light, lightJob),
        doneAt(server.url, heavy, heavyJobs[heavyJobs.length - 1]),
      ]);
      const own = lightRecord.execution_time_ms ?? 0;
      fair.push(lightDone - submitted - own);
      fifo.push(heavyDone - submitted - own);
      heavyRuns.push(heavyRecord.execution_time_ms ?? 0);
      for (const s of [heavy, light]) {
        await fetch(`${server.url}/api/v1/sessions/${s}`, { method: 'DELETE' });
      }
    }
    const [fairMs, fifoMs] = [median(fair), median(fifo)];
    console.log(
      `\nQueue wait of a light session's job behind ${HEAVY_JOBS} queued jobs of another ` +
        `session (1 worker; heavy job ~${Math.round(median(heavyRuns))} ms run; median of ${ROUNDS})`,
    );
    console.log(
      `  ${'plain FIFO (same run)'.padEnd(28)}${`${Math.round(fifoMs)} ms`.padStart(10)}`,
    );
    console.log(
      `  ${'turns between sessions'.padEnd(28)}${`${Math.round(fairMs)} ms`.padStart(10)}`,
    );
    console.log(
      `  FIFO / fair: ${(fifoMs / fairMs).toFixed(1)}x   (goal: the light job waits for at most ` +
        'one heavy job besides the running one)',
    );
  } finally {
    await server.stop();
  }
}
