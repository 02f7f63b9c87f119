/**
 * Auto mode in the distributed shape: the API node that streams never runs the jobs (a
 * worker process does, through BullMQ on Redis), so it follows them through the job store
 * and cancels them through the queue.
 */
import { CANARY_API_KEY, parseSse, SseEvent } from './support/ai-client';
import { FakeAnthropic, textReply } from './support/fake-anthropic';
import { startRedis, TestRedis } from './support/redis-server';
import {
  ServerProcess,
  sharedDirs,
  SharedDirs,
  startServerProcess,
} from './support/server-process';

jest.setTimeout(240_000);

const CSV = 'city,amount\nOslo,3\nLima,5\nOslo,4\n';
const SPEC =
  '## Objective\nTotal amount per city.\n## Transformation steps\n1. Sum amount by city.';
const BROKEN = 'def transform(df):\n    return df[df["amont"] > 0]\n';
const GOOD = 'def transform(df):\n    return df.groupby("city", as_index=False)["amount"].sum()\n';
const ENDLESS = 'def transform(df):\n    while True:\n        pass\n';

const lines = (code: string) => code.split(/(?<=\n)/);

describe('auto mode with jobs run by a worker process (Redis, BullMQ)', () => {
  let redis: TestRedis;
  let fake: FakeAnthropic;
  let dirs: SharedDirs;
  let api: ServerProcess;
  let worker: ServerProcess;
  let sessionId: string;

  beforeAll(async () => {
    redis = await startRedis();
    fake = await FakeAnthropic.start(CANARY_API_KEY);
    dirs = sharedDirs();
    const env = {
      REDIS_URL: redis.url,
      ANTHROPIC_API_KEY: CANARY_API_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      SANDBOX_POOL_SIZE: '1',
      SANDBOX_MAX_CONCURRENCY: '1',
    };
    [api, worker] = await Promise.all([
      startServerProcess({ name: 'api', dirs, env }),
      startServerProcess({ name: 'worker', entry: 'worker', dirs, env }),
    ]);
    const form = new FormData();
    form.append('file', new Blob([CSV]), 'data.csv');
    const res = await fetch(`${api.api}/upload`, { method: 'POST', body: form });
    sessionId = ((await res.json()) as { session_id: string }).session_id;
  });

  afterAll(async () => {
    await Promise.all([api, worker].filter(Boolean).map((p) => p.stop('SIGKILL')));
    await fake?.close();
    await redis?.stop();
    dirs?.remove();
  });

  beforeEach(() => fake.reset());

  it('repairs a failed job and succeeds, every job in the session', async () => {
    fake.enqueue(textReply(lines(BROKEN)), textReply(lines(GOOD)));
    const res = await fetch(`${api.api}/codegen/auto`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, refined_prompt: SPEC }),
    });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    const final = events[events.length - 1];
    expect(final).toMatchObject({ done: true, status: 'success', attempts: 2, code: GOOD });
    const ends = events.filter(
      (e) => e.phase === 'execute' && e.status !== 'queued' && e.status !== 'running',
    );
    expect(ends.map((e) => [e.attempt, e.status])).toEqual([
      [1, 'error'],
      [2, 'success'],
    ]);
    expect(String(ends[0].error_message)).toMatch(/amont/);
    const session = (await (await fetch(`${api.api}/sessions/${sessionId}`)).json()) as {
      jobs: { job_id: string; status: string }[];
    };
    expect(session.jobs.map((j) => [j.job_id, j.status])).toEqual([
      [ends[0].job_id, 'error'],
      [ends[1].job_id, 'success'],
    ]);
  });

  it('a client that leaves cancels the job on the worker: it ends error, cancelled: ...', async () => {
    fake.enqueue(textReply(lines(ENDLESS)));
    const client = new AbortController();
    const res = await fetch(`${api.api}/codegen/auto`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, refined_prompt: SPEC }),
      signal: client.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    let running: SseEvent | undefined;
    while (!running) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before the job ran: ${text}`);
      text += decoder.decode(value, { stream: true });
      const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
      running = parseSse(complete).find((e) => e.phase === 'execute' && e.status === 'running');
    }
    client.abort();

    const started = Date.now();
    let job: { status: string; error_message: string | null } = { status: '', error_message: null };
    while (Date.now() - started < 60_000) {
      const poll = await fetch(`${api.api}/execute/${sessionId}/${String(running.job_id)}`);
      job = (await poll.json()) as typeof job;
      if (job.status === 'error' || job.status === 'success') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({
      status: 'error',
      error_message: 'cancelled: the client closed the auto-mode stream',
    });
  });
});
