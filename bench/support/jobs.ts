import { curlUpload } from './server';

/** What a bench reads of ExecutionResult. */
export interface JobOutcome {
  status: string;
  error_message: string | null;
  output_row_count: number | null;
}

/** Uploads through the API with curl; returns the session id. */
export async function upload(url: string, path: string): Promise<string> {
  const { body } = await curlUpload(url, path);
  if (typeof body.session_id !== 'string')
    throw new Error(`upload failed: ${JSON.stringify(body)}`);
  return body.session_id;
}

/** POST /execute; returns the job id. */
export async function submit(url: string, session: string, code: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: session, code }),
  });
  const body = (await res.json()) as { job_id?: string; detail?: unknown };
  if (!body.job_id) throw new Error(`submit failed: ${JSON.stringify(body)}`);
  return body.job_id;
}

/** Polls the job every `pollMs` until it is `success` or `error`. */
export async function waitDone(
  url: string,
  session: string,
  job: string,
  pollMs = 2,
): Promise<JobOutcome> {
  for (;;) {
    const res = await fetch(`${url}/api/v1/execute/${session}/${job}`);
    const body = (await res.json()) as JobOutcome;
    if (body.status === 'success' || body.status === 'error') return body;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
