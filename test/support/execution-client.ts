import request from 'supertest';
import { TestApp } from './test-app';

export interface JobResult {
  job_id: string;
  status: 'queued' | 'running' | 'success' | 'error';
  preview_rows: Record<string, unknown>[];
  preview_columns: string[];
  warnings: string[];
  error_message: string | null;
  execution_time_ms: number | null;
  output_row_count: number | null;
  stdout: string;
  stderr: string;
  check_passed: boolean | null;
}

export function submit(t: TestApp, sessionId: string, code: string): request.Test {
  return request(t.http).post(`${t.prefix}/execute`).send({ session_id: sessionId, code });
}

export async function jobResult(t: TestApp, sessionId: string, jobId: string): Promise<JobResult> {
  const res = await request(t.http).get(`${t.prefix}/execute/${sessionId}/${jobId}`).expect(200);
  return res.body as JobResult;
}

/** Polls until the job is done; a liveness bound, not a timing assertion. */
export async function waitForJob(
  t: TestApp,
  sessionId: string,
  jobId: string,
  boundMs = 60_000,
): Promise<JobResult> {
  const until = Date.now() + boundMs;
  for (;;) {
    const job = await jobResult(t, sessionId, jobId);
    if (job.status === 'success' || job.status === 'error') return job;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${job.status} after ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Submits code that must pass the static check and waits for the job to finish. */
export async function run(t: TestApp, sessionId: string, code: string): Promise<JobResult> {
  const res = await submit(t, sessionId, code).expect(200);
  return waitForJob(t, sessionId, res.body.job_id as string);
}
