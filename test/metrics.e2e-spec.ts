import { readFileSync } from 'node:fs';
import { AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { AiTestApp, postSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { errorReply, FAKE_MODEL_USAGE, textReply } from './support/fake-anthropic';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const TOKEN = 'metrics-token-4e8a1c7f2b9d';
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*\\}`;
// Values are Go ParseFloat text: NaN and Inf in any case (prom-client writes an empty gauge as Nan).
const SAMPLE = new RegExp(`^(${NAME})(${LABELS})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?[Ii][Nn][Ff])$`);
const COMMENT = new RegExp(
  `^# (HELP ${NAME} .*|TYPE ${NAME} (counter|gauge|histogram|summary|untyped))$`,
);

/** Parses the Prometheus text format strictly: every line a comment or a sample. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(COMMENT);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

describe('GET /metrics and the access log', () => {
  let t: TestApp;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  beforeAll(async () => {
    t = await startTestApp({ API_AUTH_TOKEN: TOKEN });
  });
  afterAll(async () => t.close());

  const scrape = async (): Promise<Map<string, number>> => {
    const res = await request(t.http).get('/metrics').set(auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return parseExposition(res.text);
  };

  it('serves the contract series in Prometheus text, and job and upload counters move', async () => {
    const before = await scrape();
    for (const name of [
      'execution_queue_depth',
      'sandbox_warm_ready',
      'process_cpu_seconds_total',
    ]) {
      expect(before.has(name)).toBe(true);
    }
    const uploaded = await request(t.http)
      .post(`${t.prefix}/upload`)
      .set(auth)
      .attach('file', Buffer.from('a,b\n1,x\n2,y\n3,z\n'), 'm.csv')
      .expect(200);
    const sessionId = (uploaded.body as { session_id: string }).session_id;
    const submitted = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set(auth)
      .send({ session_id: sessionId, code: 'def transform(df):\n    return df\n' })
      .expect(200);
    const jobId = (submitted.body as { job_id: string }).job_id;
    // Polls until the job ends (a liveness loop; Jest's timeout bounds it).
    const poll = async (): Promise<{ status: string }> => {
      for (;;) {
        const res = await request(t.http)
          .get(`${t.prefix}/execute/${sessionId}/${jobId}`)
          .set(auth)
          .expect(200);
        const body = res.body as { status: string };
        if (body.status === 'success' || body.status === 'error') return body;
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    expect((await poll()).status).toBe('success');

    const after = await scrape();
    expect(after.get('execution_jobs_finished_total{status="success"}')).toBe(
      (before.get('execution_jobs_finished_total{status="success"}') ?? 0) + 1,
    );
    expect(after.get('execution_job_duration_seconds_count{status="success"}')).toBe(
      (before.get('execution_job_duration_seconds_count{status="success"}') ?? 0) + 1,
    );
    expect(after.get('upload_rows_total{format="csv"}')).toBe(3);
    expect(after.get('upload_bytes_total{format="csv"}')).toBeGreaterThan(0);
    expect(
      after.get(
        `http_request_duration_seconds_count{method="POST",route="${t.prefix}/upload",status_code="200"}`,
      ),
    ).toBe(1);
  });

  it('writes one access-log line per request, with no token in the log', async () => {
    await request(t.http)
      .get(`${t.prefix}/sessions/00000000-0000-4000-8000-000000000000`)
      .set(auth)
      .set('X-Request-ID', 'access-log-probe-1')
      .expect(404);
    await request(t.http)
      .post(`${t.prefix}/instructions/refine`)
      .set(auth)
      .set('X-Request-ID', 'access-log-probe-2')
      .set('Content-Type', 'application/json')
      .send('{"session_id": ')
      .expect(400);
    const file = join(t.root, 'logs', 'app.log');
    const access = async (id: string): Promise<Record<string, unknown>[]> => {
      for (let i = 0; i < 50; i++) {
        const lines = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.includes(`"request_id":"${id}"`) && l.includes('"context":"access"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        if (lines.length > 0) return lines;
        await new Promise((r) => setTimeout(r, 20));
      }
      return [];
    };
    const [found] = await access('access-log-probe-1');
    expect(found).toMatchObject({
      method: 'GET',
      route: `${t.prefix}/sessions/:session_id`,
      status: 404,
      request_id: 'access-log-probe-1',
    });
    expect(typeof found.duration_ms).toBe('number');
    expect(found.bytes).toBeGreaterThan(0);
    expect(await access('access-log-probe-1')).toHaveLength(1);
    const [refused] = await access('access-log-probe-2');
    expect(refused).toMatchObject({ method: 'POST', status: 400 });
    // A client that goes away mid-body: nginx's 499, not the 200 Express had set.
    if (!t.http.listening) await new Promise<void>((r) => t.http.listen(0, '127.0.0.1', r));
    const { port } = t.http.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST ${t.prefix}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
            'X-Request-ID: access-log-probe-3\r\nContent-Type: multipart/form-data; boundary=b\r\n' +
            'Content-Length: 1000000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; ' +
            'filename="a.csv"\r\n\r\na,b\n1,2\n',
          () => setTimeout(() => socket.destroy(), 200),
        );
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const [aborted] = await access('access-log-probe-3');
    expect(aborted).toMatchObject({ method: 'POST', status: 499, aborted: true });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toMatch(/authorization/i);
  });
});

describe('job log lines', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it("do not carry the request id of whichever request started the queue's work", async () => {
    const session = await uploadCsv(t, 'a,b\n1,2\n');
    const submitted = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set('X-Request-ID', 'job-submit-probe')
      .send({ session_id: session, code: 'def transform(df):\n    return df\n' })
      .expect(200);
    const jobId = (submitted.body as { job_id: string }).job_id;
    const file = join(t.root, 'logs', 'app.log');
    let finished: Record<string, unknown> | undefined;
    for (let i = 0; i < 200 && !finished; i++) {
      finished = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"job finished"') && l.includes(jobId))
        .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
      if (!finished) await new Promise((r) => setTimeout(r, 50));
    }
    expect(finished).toMatchObject({ job_id: jobId, status: 'success' });
    expect(finished?.request_id).toBeUndefined();
  });
});

describe('GET /metrics counts model tokens and model errors', () => {
  let ai: AiTestApp;
  beforeAll(async () => {
    ai = await startAiTestApp('a,b\n1,x\n', { METRICS_AUTH: 'false', AI_MAX_RETRIES: '0' });
  });
  afterAll(async () => stopAiTestApp(ai));

  const scrape = async (): Promise<Map<string, number>> =>
    parseExposition((await request(ai.t.http).get('/metrics').expect(200)).text);
  const sum = (samples: Map<string, number>, prefix: string): number =>
    [...samples].filter(([k]) => k.startsWith(prefix)).reduce((total, [, v]) => total + v, 0);
  const refine = () =>
    postSse(ai.t, '/instructions/refine', {
      session_id: ai.sessionId,
      raw_instructions: 'Keep the rows where a is positive.',
    });

  it('adds the usage the model reported, by kind', async () => {
    const before = await scrape();
    ai.fake.enqueue(textReply(['## Objective\n'], { usage: { input_tokens: 1234 } }));
    expect((await refine()).events.at(-1)).toMatchObject({ done: true });
    const after = await scrape();
    const moved = (kind: string): number =>
      sum(after, `model_tokens_total{kind="${kind}"`) -
      sum(before, `model_tokens_total{kind="${kind}"`);
    expect(moved('input')).toBe(1234);
    expect(moved('cache_read')).toBe(FAKE_MODEL_USAGE.cache_read_input_tokens);
    expect(moved('output')).toBeGreaterThan(0);
  });

  it('counts a failed model call', async () => {
    const before = sum(await scrape(), 'model_errors_total');
    ai.fake.enqueue(errorReply(401, 'authentication_error', 'invalid x-api-key'));
    expect((await refine()).events.at(-1)).toMatchObject({ done: true });
    expect(sum(await scrape(), 'model_errors_total') - before).toBe(1);
  });
});
