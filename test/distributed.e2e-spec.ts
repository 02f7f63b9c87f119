/**
 * The distributed shape on one machine (scale-out.md "Proving it on one machine"): one
 * Redis, two API processes and two workers on 127.0.0.1, sharing INBOUND_DIR and TEMP_DIR.
 * Any API node answers any request; a worker killed mid-job fails that job within the
 * bound and the other goes on; an API restart loses nothing; expiry removes keys and files.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { CANARY_API_KEY, parseSse } from './support/ai-client';
import { FakeAnthropic, textReply } from './support/fake-anthropic';
import { startRedis, TestRedis } from './support/redis-server';
import {
  ServerProcess,
  sharedDirs,
  SharedDirs,
  startServerProcess,
} from './support/server-process';

jest.setTimeout(240_000);

const CSV = 'city,amount\nOslo,3\nLima,5\nOslo,4\nKyiv,1\n';
const SUM_BY_CITY =
  'def transform(df):\n' +
  '    return df.groupby("city", as_index=False)["amount"].sum().sort_values("city")\n';
const EXPECTED_CSV = 'city,amount\nKyiv,1\nLima,5\nOslo,7\n';
/** Runs until its worker is killed (well inside SANDBOX_TIMEOUT_SECONDS; no sleep is allowed). */
const SLOW = 'def transform(df):\n    while True:\n        pass\n';
const STALL_SECONDS = 3;
/** The shortest SESSION_TTL_SECONDS allowed. */
const SHORT_TTL_SECONDS = 60;

interface Job {
  status: string;
  error_message: string | null;
  output_row_count: number | null;
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${res.url}: ${text}`);
  return JSON.parse(text) as T;
}

async function upload(api: string, csv: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([csv]), 'data.csv');
  const body = await json<{ session_id: string }>(
    await fetch(`${api}/upload`, { method: 'POST', body: form }),
  );
  return body.session_id;
}

async function execute(
  api: string,
  sessionId: string,
  code: string,
  sourceJobId?: string,
): Promise<string> {
  const res = await fetch(`${api}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: sessionId, code, source_job_id: sourceJobId }),
  });
  return (await json<{ job_id: string }>(res)).job_id;
}

async function poll(api: string, sessionId: string, jobId: string): Promise<Job> {
  return json<Job>(await fetch(`${api}/execute/${sessionId}/${jobId}`));
}

/** Polls until the job has one of `statuses`; answers it and how long that took (ms). */
async function waitFor(
  api: string,
  sessionId: string,
  jobId: string,
  statuses: string[],
  timeoutMs = 120_000,
): Promise<Job & { waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const job = await poll(api, sessionId, jobId);
    if (statuses.includes(job.status)) return { ...job, waitedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs)
      throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sse(api: string, path: string, body: unknown): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return parseSse(await res.text());
}

async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('distributed shape: 2 API nodes, 2 workers, 1 Redis (real processes)', () => {
  let redis: TestRedis;
  let client: Redis;
  let fake: FakeAnthropic;
  let dirs: SharedDirs;
  let env: Record<string, string>;
  let api1: ServerProcess;
  let api2: ServerProcess;
  const workers: ServerProcess[] = [];
  let sessionId: string;
  /** An API node whose sessions live the shortest TTL allowed, and one session made there. */
  let shortLived: ServerProcess;
  let expiring: string;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    fake = await FakeAnthropic.start(CANARY_API_KEY);
    dirs = sharedDirs();
    env = {
      REDIS_URL: redis.url,
      WORKER_STALL_SECONDS: String(STALL_SECONDS),
      ANTHROPIC_API_KEY: CANARY_API_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      SANDBOX_POOL_SIZE: '1',
      SANDBOX_MAX_CONCURRENCY: '1',
      SANDBOX_TIMEOUT_SECONDS: '300',
      MAX_QUEUED_JOBS_PER_SESSION: '1000',
      MAX_QUEUED_JOBS_PER_CLIENT: '1000',
      RATE_LIMIT_EXECUTE_MAX: '100000',
    };
    [api1, api2, workers[0], workers[1], shortLived] = await Promise.all([
      startServerProcess({ name: 'api1', dirs, env }),
      startServerProcess({ name: 'api2', dirs, env }),
      startServerProcess({ name: 'worker1', entry: 'worker', dirs, env }),
      startServerProcess({ name: 'worker2', entry: 'worker', dirs, env }),
      startServerProcess({
        name: 'api-short-ttl',
        dirs,
        env: { ...env, SESSION_TTL_SECONDS: String(SHORT_TTL_SECONDS) },
      }),
    ]);
    // Made first, so it has expired by the last test without a wait of its own.
    expiring = await upload(shortLived.api, CSV);
  });

  afterAll(async () => {
    await Promise.all(
      [api1, api2, shortLived, ...workers].filter(Boolean).map((p) => p.stop('SIGKILL')),
    );
    client?.disconnect();
    await fake?.close();
    await redis?.stop();
    dirs?.remove();
  });

  it('reports the Redis queue and both workers on /health of each API node', async () => {
    for (const api of [api1, api2]) {
      const health = await eventually(async () => {
        const body = await json<{ queue: { kind: string; workers: number } }>(
          await fetch(`${api.url}/health`),
        );
        return body.queue.workers === 2 ? body : undefined;
      }, `${api.name} sees two workers`);
      expect(health.queue).toEqual({ kind: 'redis', workers: 2 });
    }
  });

  it('serves one workflow across nodes: upload on 1, AI on 2, execute on 1, poll on 2, download on 1', async () => {
    sessionId = await upload(api1.api, CSV);
    fake.enqueue(textReply(['Sum amount by city, sorted by city.']));
    const refined = await sse(api2.api, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: 'total per city please',
    });
    expect(refined.at(-1)).toMatchObject({ done: true });
    fake.enqueue(textReply(['```python\n', SUM_BY_CITY, '```\n']));
    const generated = await sse(api2.api, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: 'Sum the amount column per city and sort the result by the city name.',
    });
    const code = generated
      .filter((e) => typeof e.chunk === 'string')
      .map((e) => e.chunk as string)
      .join('');
    expect(code).toContain('def transform(df)');
    // The schema reached the prompt from the node that did not take the upload.
    expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain('amount');

    const jobId = await execute(api1.api, sessionId, code);
    const job = await waitFor(api2.api, sessionId, jobId, ['success', 'error']);
    expect(job).toMatchObject({ status: 'success', output_row_count: 3 });
    const csv = await (await fetch(`${api1.api}/execute/${sessionId}/${jobId}/output`)).text();
    expect(csv).toBe(EXPECTED_CSV);
    const rows = await json<{ total: number }>(
      await fetch(`${api2.api}/sessions/${sessionId}/rows`),
    );
    expect(rows.total).toBe(4);
  });

  it("chains steps across nodes: each runs on the previous job's output, wherever it ran", async () => {
    const chained = await upload(api2.api, CSV);
    const first = await execute(api1.api, chained, SUM_BY_CITY);
    expect(await waitFor(api2.api, chained, first, ['success', 'error'])).toMatchObject({
      status: 'success',
    });
    const topCode =
      'def transform(df):\n    return df[df["amount"] > 4].rename(columns={"amount": "total"})\n';
    fake.enqueue(textReply(['```python\n', topCode, '```\n']));
    await sse(api2.api, '/codegen/generate', {
      session_id: chained,
      source_job_id: first,
      refined_prompt: 'Keep the cities whose amount is above 4 and call the column total.',
    });
    // The prompt described the first job's output (3 rows), read on a node that never ran it.
    expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain('has 3 rows and 2 columns');
    const second = await execute(api2.api, chained, topCode, first);
    expect(await waitFor(api1.api, chained, second, ['success', 'error'])).toMatchObject({
      status: 'success',
      output_row_count: 2,
    });
    const third = await execute(
      api1.api,
      chained,
      'def transform(df):\n    return df.assign(total=df["total"] * 10)\n',
      second,
    );
    expect(await waitFor(api2.api, chained, third, ['success', 'error'])).toMatchObject({
      status: 'success',
    });
    const csv = await (await fetch(`${api2.api}/execute/${chained}/${third}/output`)).text();
    expect(csv).toBe('city,total\nLima,50\nOslo,70\n');
  });

  it('spreads 20 jobs over both workers, every one right', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await execute(i % 2 ? api1.api : api2.api, sessionId, SUM_BY_CITY));
    }
    for (const [i, id] of ids.entries()) {
      const job = await waitFor(i % 2 ? api2.api : api1.api, sessionId, id, ['success', 'error']);
      expect(job.status).toBe('success');
    }
    const ranBy = workers.map((w) => ids.filter((id) => w.logs().includes(id)).length);
    expect(ranBy[0] + ranBy[1]).toBe(20);
    expect(ranBy[0]).toBeGreaterThan(0);
    expect(ranBy[1]).toBeGreaterThan(0);
  });

  it('fails the job of a worker killed mid-run within the bound; the other worker goes on', async () => {
    const jobId = await execute(api1.api, sessionId, SLOW);
    await waitFor(api2.api, sessionId, jobId, ['running']);
    const holder = await eventually(
      async () =>
        workers.find((w) => w.logs().includes(`"job started"`) && w.logs().includes(jobId)),
      'the worker running the job logged it',
    );
    await holder.stop('SIGKILL');
    const failed = await waitFor(api2.api, sessionId, jobId, ['error', 'success'], 90_000);
    expect(failed.status).toBe('error');
    expect(failed.error_message).toMatch(/worker .*stopped/i);
    // scale-out.md: within 60 s of the kill.
    expect(failed.waitedMs).toBeLessThan(60_000);

    const next = await execute(api2.api, sessionId, SUM_BY_CITY);
    expect((await waitFor(api1.api, sessionId, next, ['success', 'error'])).status).toBe('success');
    const survivor = workers.find((w) => w !== holder)!;
    expect(survivor.logs()).toContain(next);
    workers.splice(workers.indexOf(holder), 1);
  });

  it("cancels a running job on another node's worker when its session is deleted", async () => {
    // One worker is left, taking one job at a time: were the endless job not stopped, the
    // next one would wait for SANDBOX_TIMEOUT_SECONDS.
    const doomed = await upload(api2.api, CSV);
    const endless = await execute(api2.api, doomed, SLOW);
    await waitFor(api1.api, doomed, endless, ['running']);
    expect((await fetch(`${api1.api}/sessions/${doomed}`, { method: 'DELETE' })).status).toBe(204);
    const next = await execute(api1.api, sessionId, SUM_BY_CITY);
    const job = await waitFor(api2.api, sessionId, next, ['success', 'error'], 60_000);
    expect(job.status).toBe('success');
    expect(existsSync(join(dirs.inbound, doomed))).toBe(false);
  });

  it('finds the session and its outputs after an API node restarts', async () => {
    const before = await json<{ jobs: { job_id: string }[] }>(
      await fetch(`${api1.api}/sessions/${sessionId}`),
    );
    await api1.stop();
    api1 = await startServerProcess({ name: 'api1-again', dirs, env });
    const after = await json<{ jobs: { job_id: string }[] }>(
      await fetch(`${api1.api}/sessions/${sessionId}`),
    );
    expect(after.jobs.map((j) => j.job_id)).toEqual(before.jobs.map((j) => j.job_id));
    const first = after.jobs[0].job_id;
    const csv = await (await fetch(`${api1.api}/execute/${sessionId}/${first}/output`)).text();
    expect(csv).toBe(EXPECTED_CSV);
  });

  it('removes an expired session: its Redis keys and its folder', async () => {
    const jobId = await execute(shortLived.api, expiring, SUM_BY_CITY);
    await waitFor(api2.api, expiring, jobId, ['success', 'error']).catch(() => undefined);
    expect((await client.keys('*')).some((k) => k.includes(expiring))).toBe(true);
    await eventually(
      async () => {
        const keys = (await client.keys('*')).filter((k) => k.includes(expiring));
        const folder = existsSync(join(dirs.inbound, expiring));
        return keys.length === 0 && !folder ? true : undefined;
      },
      'the expired session is swept',
      (SHORT_TTL_SECONDS + 30) * 1000,
    );
    expect((await fetch(`${api2.api}/sessions/${expiring}`)).status).toBe(404);
    expect(readdirSync(dirs.inbound)).not.toContain(expiring);
  });

  it('stops a worker cleanly on SIGTERM, and /health counts it gone', async () => {
    const seen = async (): Promise<number> =>
      (await json<{ queue: { workers: number } }>(await fetch(`${api2.url}/health`))).queue.workers;
    const before = await seen();
    expect(before).toBe(workers.length);
    const [last] = workers.splice(0, 1);
    expect(await last.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await eventually(
      async () => ((await seen()) === before - 1 ? true : undefined),
      'one worker fewer is seen',
    );
  });
});
