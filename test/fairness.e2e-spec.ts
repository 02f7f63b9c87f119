import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { JobRecord } from '../src/execution/jobs/job';
import { JobStore } from '../src/execution/jobs/job-store';
import { openSse, postSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { JobResult } from './support/execution-client';
import { FakeAnthropic, hangingReply, textReply } from './support/fake-anthropic';
import { startTestApp, TestApp } from './support/test-app';

const TOKEN_HEAVY = 'token-heavy-7f3c9e1b5d2a8c4e';
const TOKEN_LIGHT = 'token-light-2b6d0f4a8c1e5b9d';
const CSV = 'a,b\n1,x\n2,y\n';
const IDENTITY = 'def transform(df):\n    return df\n';
const SPEC = '## Objective\nKeep the rows where a is greater than 1, and every column as it is.';
/** Bound for the suites that run tens of jobs on one worker (a liveness bound, not a timing). */
const MANY_JOBS_MS = 180_000;
/** Holds the only worker until its session is deleted (the test's gate; no sleeping). */
const BLOCKER = 'def transform(df):\n    while True:\n        pass\n';

type Headers = Record<string, string>;
const bearer = (token: string): Headers => ({ Authorization: `Bearer ${token}` });

async function upload(t: TestApp, headers: Headers = {}): Promise<string> {
  const res = await request(t.http)
    .post(`${t.prefix}/upload`)
    .set(headers)
    .attach('file', Buffer.from(CSV), 'data.csv')
    .expect(200);
  return (res.body as { session_id: string }).session_id;
}

async function submit(t: TestApp, sessionId: string, code: string, headers: Headers = {}) {
  const res = await request(t.http)
    .post(`${t.prefix}/execute`)
    .set(headers)
    .send({ session_id: sessionId, code })
    .expect(200);
  return res.body.job_id as string;
}

/** Polls the job with the given credentials until it is done (a liveness bound, not a timing). */
async function waitForJob(
  t: TestApp,
  sessionId: string,
  jobId: string,
  headers: Headers = {},
): Promise<JobResult> {
  const until = Date.now() + 120_000;
  for (;;) {
    const res = await request(t.http)
      .get(`${t.prefix}/execute/${sessionId}/${jobId}`)
      .set(headers)
      .expect(200);
    const job = res.body as JobResult;
    if (job.status === 'success' || job.status === 'error') return job;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const deleteSession = (t: TestApp, sessionId: string, headers: Headers = {}) =>
  request(t.http).delete(`${t.prefix}/sessions/${sessionId}`).set(headers).expect(204);

/** The server's record of a job (its start time is not in the API). */
async function record(t: TestApp, sessionId: string, jobId: string): Promise<JobRecord> {
  return (await t.app.get(JobStore).get(sessionId, jobId))!;
}

interface Submitted {
  sessionId: string;
  jobId: string;
  heavy: boolean;
}

/** Waits for every job over HTTP, then lists them in the order they started. */
async function startOrder(t: TestApp, jobs: Submitted[], headers: Headers = {}) {
  for (const j of jobs) {
    expect((await waitForJob(t, j.sessionId, j.jobId, headers)).status).toBe('success');
  }
  const started = await Promise.all(
    jobs.map(async (j) => ({
      ...j,
      startedAt: (await record(t, j.sessionId, j.jobId)).startedAt!,
    })),
  );
  return started.sort((a, b) => a.startedAt - b.startedAt);
}

describe('fair job queue (one worker, real sandbox)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      SANDBOX_MAX_CONCURRENCY: '1',
      API_AUTH_TOKEN: JSON.stringify([TOKEN_HEAVY, TOKEN_LIGHT]),
    });
  });
  afterAll(async () => t.close());

  it(
    "one session's 50 queued jobs delay another session's job by at most one job",
    async () => {
      const auth = bearer(TOKEN_HEAVY);
      const [gate, heavy, light] = [
        await upload(t, auth),
        await upload(t, auth),
        await upload(t, auth),
      ];
      await submit(t, gate, BLOCKER, auth);
      const jobs: Submitted[] = [];
      for (let i = 0; i < 50; i++) {
        jobs.push({ sessionId: heavy, jobId: await submit(t, heavy, IDENTITY, auth), heavy: true });
      }
      jobs.push({ sessionId: light, jobId: await submit(t, light, IDENTITY, auth), heavy: false });
      const records = await Promise.all(jobs.map((j) => record(t, j.sessionId, j.jobId)));
      expect(records.every((r) => r.status === 'queued')).toBe(true);
      await deleteSession(t, gate, auth);

      const order = await startOrder(t, jobs, auth);
      const lightAt = order.findIndex((j) => !j.heavy);
      // Plain FIFO would start it 51st; taking turns, it starts right after one heavy job.
      expect(lightAt).toBeLessThanOrEqual(1);
      const heavyOrder = order.filter((j) => j.heavy).map((j) => j.jobId);
      expect(heavyOrder).toEqual(jobs.filter((j) => j.heavy).map((j) => j.jobId));
    },
    MANY_JOBS_MS,
  );

  it(
    'takes turns between clients: a client with five sessions does not beat one with one',
    async () => {
      const heavyAuth = bearer(TOKEN_HEAVY);
      const lightAuth = bearer(TOKEN_LIGHT);
      const gate = await upload(t, heavyAuth);
      const heavySessions: string[] = [];
      for (let s = 0; s < 5; s++) heavySessions.push(await upload(t, heavyAuth));
      const light = await upload(t, lightAuth);
      await submit(t, gate, BLOCKER, heavyAuth);
      const jobs: Submitted[] = [];
      for (let i = 0; i < 4; i++) {
        for (const s of heavySessions) {
          jobs.push({ sessionId: s, jobId: await submit(t, s, IDENTITY, heavyAuth), heavy: true });
        }
      }
      for (let i = 0; i < 3; i++) {
        jobs.push({
          sessionId: light,
          jobId: await submit(t, light, IDENTITY, lightAuth),
          heavy: false,
        });
      }
      await deleteSession(t, gate, heavyAuth);

      const order = await startOrder(t, jobs, heavyAuth);
      const lightPositions = order.flatMap((j, i) => (j.heavy ? [] : [i]));
      // The light client's k-th job (from 0) starts after at most k + 1 heavy jobs.
      lightPositions.forEach((position, k) => expect(position).toBeLessThanOrEqual(2 * k + 1));
      // The heavy client's own sessions take turns too: its first five jobs are one per session.
      const firstHeavy = order.filter((j) => j.heavy).slice(0, 5);
      expect(new Set(firstHeavy.map((j) => j.sessionId)).size).toBe(5);
    },
    MANY_JOBS_MS,
  );
});

describe('job caps per session and per client', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      SANDBOX_MAX_CONCURRENCY: '1',
      MAX_QUEUED_JOBS_PER_SESSION: '2',
      MAX_QUEUED_JOBS_PER_CLIENT: '3',
      SANDBOX_MAX_QUEUED_JOBS: '4',
      API_AUTH_TOKEN: JSON.stringify([TOKEN_HEAVY, TOKEN_LIGHT]),
    });
  });
  afterAll(async () => t.close());

  it('answers 429 with Retry-After and the limit by name; other clients still get in', async () => {
    const auth = bearer(TOKEN_HEAVY);
    const [s1, s2, s3] = [await upload(t, auth), await upload(t, auth), await upload(t, auth)];
    await submit(t, s1, BLOCKER, auth); // running
    await submit(t, s1, IDENTITY, auth); // waiting: s1 holds 2

    const overSession = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set(auth)
      .send({ session_id: s1, code: IDENTITY })
      .expect(429);
    expect(overSession.body.detail).toMatch(
      /^This session already has 2 jobs queued or running \(MAX_QUEUED_JOBS_PER_SESSION\); wait for one to finish/,
    );
    expect(Number(overSession.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(overSession.headers['content-type']).toMatch(/^application\/json/);

    await submit(t, s2, IDENTITY, auth);
    await submit(t, s3, IDENTITY, auth); // the client now has 3 waiting
    const overClient = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set(auth)
      .send({ session_id: s2, code: IDENTITY })
      .expect(429);
    expect(overClient.body.detail).toMatch(/\(MAX_QUEUED_JOBS_PER_CLIENT\)/);
    expect(Number(overClient.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const lightAuth = bearer(TOKEN_LIGHT);
    const light = await upload(t, lightAuth);
    const lightJob = await submit(t, light, IDENTITY, lightAuth); // 4 waiting: the global cap
    const full = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set(lightAuth)
      .send({ session_id: light, code: IDENTITY })
      .expect(503);
    expect(full.body.detail).toMatch(/\(SANDBOX_MAX_QUEUED_JOBS\)/);
    expect(Number(full.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // Ending the session frees its places: the blocker is killed and the rest run.
    await deleteSession(t, s1, auth);
    expect((await waitForJob(t, light, lightJob, lightAuth)).status).toBe('success');
    const again = await submit(t, s2, IDENTITY, auth);
    expect((await waitForJob(t, s2, again, auth)).status).toBe('success');
  });
});

describe('MAX_SESSIONS_PER_CLIENT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      MAX_SESSIONS_PER_CLIENT: '2',
      API_AUTH_TOKEN: JSON.stringify([TOKEN_HEAVY, TOKEN_LIGHT]),
    });
  });
  afterAll(async () => t.close());

  it('refuses a third live session with 429 before reading the file; deleting one makes room', async () => {
    const auth = bearer(TOKEN_HEAVY);
    const first = await upload(t, auth);
    await upload(t, auth);
    const refused = await request(t.http)
      .post(`${t.prefix}/upload`)
      .set(auth)
      .attach('file', Buffer.from(CSV), 'data.csv')
      .expect(429);
    expect(refused.body.detail).toMatch(
      /^You already have 2 sessions .*\(MAX_SESSIONS_PER_CLIENT\)/,
    );
    // Retry-After: when the oldest session expires (SESSION_TTL_SECONDS, 3600 by default).
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    const incoming = join(t.root, 'inbound', '.incoming');
    const stored = existsSync(incoming) ? readdirSync(incoming) : [];
    expect(stored).toEqual([]);

    await upload(t, bearer(TOKEN_LIGHT));
    await deleteSession(t, first, auth);
    await upload(t, auth);
  });

  it('counts uploads under way: of concurrent uploads past the cap, only those that fit succeed', async () => {
    const auth = bearer(TOKEN_LIGHT);
    // TOKEN_LIGHT holds one session from the test above.
    const statuses = await Promise.all(
      [0, 1, 2].map(async () => {
        const res = await request(t.http)
          .post(`${t.prefix}/upload`)
          .set(auth)
          .attach('file', Buffer.from(CSV), 'data.csv');
        return res.status;
      }),
    );
    expect(statuses.sort()).toEqual([200, 429, 429]);
  });
});

describe('MAX_STREAMS_PER_CLIENT (fake model server)', () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let sessionId: string;
  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp(CSV, { MAX_STREAMS_PER_CLIENT: '1' }));
  });
  afterAll(async () => stopAiTestApp({ fake, t }));

  it('refuses a second stream with a JSON 429 while one is open, and frees the slot when it ends', async () => {
    const refine = { session_id: sessionId, raw_instructions: 'Keep the rows where a > 1.' };
    fake.enqueue(hangingReply(['## Objective\n']));
    const open = await openSse(t, '/instructions/refine', refine);
    expect(await open.firstEvent).toEqual({ chunk: '## Objective\n', done: false });

    for (const [path, body] of [
      ['/instructions/refine', refine],
      ['/codegen/generate', { session_id: sessionId, refined_prompt: SPEC }],
    ] as const) {
      const refused = await postSse(t, path, body);
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(refused.raw).detail).toMatch(
        /^You already have 1 model streams open \(MAX_STREAMS_PER_CLIENT\)/,
      );
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(fake.requests).toHaveLength(1);

    // The client leaves: its slot is free once the server has seen the connection close.
    open.disconnect();
    await fake.requests[0].closed;
    fake.enqueue(textReply(['## Objective\n']));
    const next = await postSse(t, '/instructions/refine', refine);
    expect(next.status).toBe(200);
    expect(next.events.at(-1)).toMatchObject({ done: true });

    // A stream that ended, and a request refused before streaming (404), free theirs too.
    const missing = await postSse(t, '/instructions/refine', {
      ...refine,
      session_id: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.status).toBe(404);
    fake.enqueue(textReply(['import pandas as pd\n']));
    const generated = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });
    expect(generated.status).toBe(200);
  });
});
