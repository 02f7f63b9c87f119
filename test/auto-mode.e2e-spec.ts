/**
 * Auto mode (POST codegen/auto) against the fake Messages API (real SDK over HTTP) and the
 * real sandbox: generate, static check, run as an ordinary job, repair with the error.
 */
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  CANARY_API_KEY,
  parseSse,
  postSse,
  SseEvent,
  startAiTestApp,
  stopAiTestApp,
} from './support/ai-client';
import { jobResult, waitForJob } from './support/execution-client';
import {
  errorReply,
  FakeAnthropic,
  FakeUsage,
  hangingReply,
  textReply,
} from './support/fake-anthropic';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const CSV = 'region,amount,id\nNorth,10.5,a1\nSouth,20,a2\nNorth,,a3\n';
const SPEC =
  '## Objective\nTotal amount per region.\n## Transformation steps\n1. Group by region and sum amount.';
const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';

const GOOD =
  'import pandas as pd\n\n\ndef transform(df):\n    return df.groupby("region", as_index=False)["amount"].sum()\n';
/** Fails at run time (no column "amont"), after printing a line the fix prompt must quote. */
const RUNTIME_ERROR =
  'import pandas as pd\n\n\ndef transform(df):\n    print("looking for amont")\n    return df[df["amont"] > 0]\n';
/** Refused by the static check: os is not an allowed import. */
const VIOLATION = 'import os\n\n\ndef transform(df):\n    return df\n';
/** Runs until it is stopped. */
const ENDLESS =
  'def transform(df):\n    total = 0\n    while True:\n        total += 1\n    return df\n';
const SEED_SCRIPT = `import os
import pandas as pd


def main():
    input_path = os.environ["INPUT_FILE_PATH"]
    output_path = os.environ["OUTPUT_FILE_PATH"]
    df = pd.read_csv(input_path)
    result = df.groupby("region", as_index=False)["amount"].sum()
    result.to_csv(output_path, index=False)


if __name__ == "__main__":
    main()
`;

/** The model's answer, one delta per line. */
const answer = (code: string, usage?: Partial<FakeUsage>) =>
  textReply(code.split(/(?<=\n)/), { usage });

const EVENT_KEYS: Record<string, string[]> = {
  chunk: ['attempt', 'chunk', 'done', 'phase'],
  check: ['attempt', 'done', 'error_message', 'phase', 'status'],
  execute: ['attempt', 'done', 'error_message', 'job_id', 'phase', 'status'],
  success: ['attempts', 'code', 'done', 'job_id', 'status', 'usage'],
  error: ['attempts', 'code', 'done', 'error', 'job_id', 'status', 'usage'],
};

/** Checks every event against the contract's shapes; answers them by kind. */
function shapes(events: SseEvent[]): {
  chunks: SseEvent[];
  checks: SseEvent[];
  executes: SseEvent[];
  final: SseEvent;
} {
  const final = events[events.length - 1];
  expect(final.done).toBe(true);
  events.slice(0, -1).forEach((e) => expect(e.done).toBe(false));
  for (const e of events) {
    const kind =
      'chunk' in e
        ? 'chunk'
        : e.done
          ? e.status === 'success'
            ? 'success'
            : 'error'
          : String(e.phase);
    const keys = Object.keys(e)
      .filter((k) => k !== 'adapted')
      .sort();
    expect({ kind, keys }).toEqual({ kind, keys: EVENT_KEYS[kind] });
  }
  return {
    chunks: events.filter((e) => 'chunk' in e),
    checks: events.filter((e) => e.phase === 'check'),
    executes: events.filter((e) => e.phase === 'execute'),
    final,
  };
}

/** The code of one attempt, as its chunks add up. */
const codeOf = (events: SseEvent[], attempt: number): string =>
  events
    .filter((e) => 'chunk' in e && e.attempt === attempt)
    .map((e) => e.chunk as string)
    .join('');

/** Execute events of one attempt: status changes in order, ending in an end status. */
function expectStatusChanges(
  executes: SseEvent[],
  attempt: number,
  end: 'success' | 'error',
): string {
  const mine = executes.filter((e) => e.attempt === attempt);
  const statuses = mine.map((e) => e.status);
  expect(statuses[statuses.length - 1]).toBe(end);
  const order = ['queued', 'running', end];
  expect(statuses).toEqual(order.filter((s) => statuses.includes(s)));
  const ids = new Set(mine.map((e) => e.job_id));
  expect(ids.size).toBe(1);
  return [...ids][0] as string;
}

interface SentBody {
  messages: { role: string; content: { type: string; text: string }[] }[];
}

/** The whole prompt text of the i-th model request. */
const promptOf = (fake: FakeAnthropic, i: number): string =>
  (fake.requests[i].body as unknown as SentBody).messages[0].content.map((c) => c.text).join('\n');

async function jobIdsOf(t: TestApp, sessionId: string): Promise<string[]> {
  const res = await request(t.http).get(`${t.prefix}/sessions/${sessionId}`).expect(200);
  return (res.body.jobs as { job_id: string }[]).map((j) => j.job_id);
}

interface LiveStream {
  events: SseEvent[];
  /** Resolves with the first event that satisfies `test`. */
  until(test: (e: SseEvent) => boolean): Promise<SseEvent>;
  disconnect(): void;
}

/** An auto-mode request on a real socket, read as it arrives, that the test can hang up. */
async function openAuto(t: TestApp, body: unknown): Promise<LiveStream> {
  const server = t.http as import('node:http').Server;
  if (!server.listening)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const payload = JSON.stringify(body);
  const events: SseEvent[] = [];
  const waiters: { test: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `${t.prefix}/codegen/auto`,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  req.on('response', (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      const end = text.lastIndexOf('\n\n');
      if (end === -1) return;
      for (const e of parseSse(text.slice(0, end + 2))) {
        events.push(e);
        for (const w of waiters.filter((x) => x.test(e))) w.resolve(e);
      }
      text = text.slice(end + 2);
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end(payload);
  return {
    events,
    until: (test) =>
      new Promise((resolve) => {
        const seen = events.find(test);
        if (seen) resolve(seen);
        else waiters.push({ test, resolve });
      }),
    disconnect: () => req.destroy(),
  };
}

describe('POST codegen/auto: generate, run, repair (fake model, real sandbox)', () => {
  let fake: FakeAnthropic;
  let t: TestApp;

  beforeAll(async () => {
    ({ fake, t } = await startAiTestApp(CSV, { AI_MAX_RETRIES: '0' }));
  });

  afterAll(async () => stopAiTestApp({ fake, t }));

  let sessionId: string;
  beforeEach(async () => {
    fake.reset();
    sessionId = await uploadCsv(t, CSV);
  });

  const auto = (body: Record<string, unknown> = {}) =>
    postSse(t, '/codegen/auto', { session_id: sessionId, refined_prompt: SPEC, ...body });

  it('succeeds on the first attempt: the code streams, the job runs, the final event sums it up', async () => {
    fake.enqueue(answer(GOOD));
    const res = await auto();

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const { chunks, checks, executes, final } = shapes(res.events);
    expect(chunks.every((c) => c.phase === 'generate' && c.attempt === 1)).toBe(true);
    expect(codeOf(res.events, 1)).toBe(GOOD);
    expect(checks).toEqual([]);
    const jobId = expectStatusChanges(executes, 1, 'success');
    expect(executes.every((e) => !('adapted' in e))).toBe(true);
    expect(final).toEqual({
      done: true,
      status: 'success',
      job_id: jobId,
      attempts: 1,
      code: GOOD,
      usage: {
        input_tokens: 1200,
        output_tokens: GOOD.split(/(?<=\n)/).length,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 3100,
      },
    });
    expect(fake.requests).toHaveLength(1);
    const job = await jobResult(t, sessionId, jobId);
    expect(job).toMatchObject({ status: 'success', preview_columns: ['region', 'amount'] });
    expect(await jobIdsOf(t, sessionId)).toEqual([jobId]);
  });

  it('succeeds on the second attempt after a runtime error; the fix request carries the error, stdout and schema', async () => {
    fake.enqueue(answer(RUNTIME_ERROR), answer(GOOD));
    const res = await auto();

    const { executes, final } = shapes(res.events);
    const first = expectStatusChanges(executes, 1, 'error');
    const failed = executes.find((e) => e.attempt === 1 && e.status === 'error');
    expect(failed?.error_message).toMatch(/amont/);
    expect(codeOf(res.events, 1)).toBe(RUNTIME_ERROR);
    expect(codeOf(res.events, 2)).toBe(GOOD);
    expect(
      res.events.filter((e) => e.attempt === 2 && 'chunk' in e).every((e) => e.phase === 'fix'),
    ).toBe(true);
    const second = expectStatusChanges(executes, 2, 'success');
    expect(final).toMatchObject({ status: 'success', job_id: second, attempts: 2, code: GOOD });
    expect((final.usage as Record<string, number>).input_tokens).toBe(2400);
    expect((final.usage as Record<string, number>).cache_read_input_tokens).toBe(6200);

    expect(fake.requests).toHaveLength(2);
    const fix = promptOf(fake, 1);
    expect(fix).toContain(RUNTIME_ERROR.trimEnd());
    expect(fix).toContain(String(failed?.error_message));
    expect(fix).toContain('looking for amont');
    expect(fix).toMatch(/"region": object/);
    expect(fix).toMatch(/"amount": float64/);
    expect(await jobIdsOf(t, sessionId)).toEqual([first, second]);
  });

  it('after a static-check violation: one check event, no job for that attempt, the violation feeds the fix', async () => {
    fake.enqueue(answer(VIOLATION), answer(GOOD));
    const res = await auto();

    const { checks, executes, final } = shapes(res.events);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toEqual({
      done: false,
      phase: 'check',
      attempt: 1,
      status: 'error',
      error_message: expect.stringMatching(/import of 'os' is not allowed/),
    });
    expect(executes.filter((e) => e.attempt === 1)).toEqual([]);
    const jobId = expectStatusChanges(executes, 2, 'success');
    expect(final).toMatchObject({ status: 'success', job_id: jobId, attempts: 2 });
    expect(promptOf(fake, 1)).toContain(String(checks[0].error_message));
    expect(await jobIdsOf(t, sessionId)).toEqual([jobId]);
  });

  it('after a failed check(df, out): the assertion fails the job and feeds the fix', async () => {
    const checked = (rows: number) =>
      `${GOOD}\n\ndef check(df, out):\n    assert len(out) == ${rows}, "expected ${rows} rows"\n`;
    fake.enqueue(answer(checked(99)), answer(checked(2)));
    const res = await auto();

    const { executes, final } = shapes(res.events);
    const first = expectStatusChanges(executes, 1, 'error');
    const failed = executes.find((e) => e.job_id === first && e.status === 'error');
    expect(failed?.error_message).toMatch(/^check failed: expected 99 rows \(line \d+\)$/);
    expect(promptOf(fake, 1)).toContain(String(failed?.error_message));
    const second = expectStatusChanges(executes, 2, 'success');
    expect(final).toMatchObject({
      status: 'success',
      job_id: second,
      attempts: 2,
      code: checked(2),
    });
    expect((await jobResult(t, sessionId, second)).check_passed).toBe(true);
  });

  it('gives up after max_attempts with the last error, the last job and the last code', async () => {
    const other = RUNTIME_ERROR.replace('looking for amont', 'still looking');
    fake.enqueue(answer(RUNTIME_ERROR), answer(other), answer(GOOD));
    const res = await auto({ max_attempts: 2 });

    const { executes, final } = shapes(res.events);
    expectStatusChanges(executes, 1, 'error');
    const last = expectStatusChanges(executes, 2, 'error');
    const lastError = String(
      executes.find((e) => e.job_id === last && e.status === 'error')?.error_message,
    );
    expect(final).toMatchObject({ status: 'error', job_id: last, attempts: 2, code: other });
    expect(final.error).toBe(
      `Gave up after 2 attempts (max_attempts): the last one failed with: ${lastError}`,
    );
    expect(fake.requests).toHaveLength(2);
    expect((await jobResult(t, sessionId, last)).status).toBe('error');
  });

  it('stops when the token budget (AUTO_MAX_TOKENS, default 60000) is spent, saying so', async () => {
    fake.enqueue(
      answer(RUNTIME_ERROR, { input_tokens: 59_000, output_tokens: 2000 }),
      answer(GOOD),
    );
    const res = await auto({ max_attempts: 5 });

    const { final } = shapes(res.events);
    expect(final).toMatchObject({ status: 'error', attempts: 1, code: RUNTIME_ERROR });
    expect(final.error).toMatch(
      /^Gave up after 1 attempt: the token budget of 60000 tokens \(AUTO_MAX_TOKENS\) is spent \(61000 input and output tokens used\)\. The last attempt failed with: [\s\S]*amont/,
    );
    expect(final.usage).toEqual({
      input_tokens: 59_000,
      output_tokens: 2000,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 3100,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('adapts a fenced seed-style script to transform(df) locally and says so on the execute events', async () => {
    fake.enqueue(answer('```python\n' + SEED_SCRIPT + '```\n'));
    const res = await auto();

    const { executes, final } = shapes(res.events);
    expect(codeOf(res.events, 1)).toBe(SEED_SCRIPT);
    expect(executes.length).toBeGreaterThan(0);
    for (const e of executes) {
      expect(e.adapted).toBe(
        "removed the Markdown code fence around the answer; rewrote the script's main() into " +
          'transform(df): it read INPUT_FILE_PATH with pd.read_csv() and now takes the table as ' +
          'df; it wrote result to OUTPUT_FILE_PATH with .to_csv() and now returns it',
      );
    }
    expect(final).toMatchObject({ status: 'success', attempts: 1 });
    expect(final.code).toMatch(
      /^import pandas as pd\n\n\ndef transform\(df\):\n {4}df = df\.copy\(\)\n/,
    );
    expect(final.code).not.toMatch(/```|INPUT_FILE_PATH|os\.environ/);
    expect(fake.requests).toHaveLength(1);
    const job = await jobResult(t, sessionId, String(final.job_id));
    expect(job.preview_rows).toEqual([
      { region: 'North', amount: 10.5 },
      { region: 'South', amount: 20 },
    ]);
  });

  it('a model error ends the stream with that error and the usage so far', async () => {
    fake.enqueue(answer(VIOLATION), errorReply(400, 'invalid_request_error', 'prompt is too long'));
    const res = await auto();

    const { checks, final } = shapes(res.events);
    expect(checks).toHaveLength(1);
    expect(final).toMatchObject({ status: 'error', job_id: null, attempts: 2, code: VIOLATION });
    expect(typeof final.error).toBe('string');
    expect(final.error).not.toBe('');
  });

  it('client disconnect during the model call aborts the upstream request', async () => {
    fake.enqueue(hangingReply(['import pandas as pd\n']));
    const stream = await openAuto(t, { session_id: sessionId, refined_prompt: SPEC });
    await stream.until((e) => 'chunk' in e);
    stream.disconnect();
    await fake.requests[0].closed;
    expect(fake.requests[0].aborted).toBe(true);
    expect(await jobIdsOf(t, sessionId)).toEqual([]);
  });

  it('client disconnect while the job runs cancels the job: it ends error, cancelled: ...', async () => {
    fake.enqueue(answer(ENDLESS));
    const stream = await openAuto(t, { session_id: sessionId, refined_prompt: SPEC });
    const running = await stream.until((e) => e.phase === 'execute' && e.status === 'running');
    stream.disconnect();
    const job = await waitForJob(t, sessionId, String(running.job_id));
    expect(job.status).toBe('error');
    expect(job.error_message).toBe('cancelled: the client closed the auto-mode stream');
    expect(fake.requests).toHaveLength(1);
  });

  it('answers JSON 404 for an unknown session before any event, without calling the model', async () => {
    const res = await postSse(t, '/codegen/auto', {
      session_id: UNKNOWN_SESSION,
      refined_prompt: SPEC,
    });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.raw)).toEqual({ detail: `Session '${UNKNOWN_SESSION}' not found` });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['a spec under 50 characters', { refined_prompt: 'short spec' }, 'refined_prompt'],
    ['a spec over 20000 characters', { refined_prompt: 'y'.repeat(20_001) }, 'refined_prompt'],
    ['max_attempts 0', { max_attempts: 0 }, 'max_attempts'],
    ['max_attempts 6', { max_attempts: 6 }, 'max_attempts'],
    ['max_attempts 1.5', { max_attempts: 1.5 }, 'max_attempts'],
    ['max_attempts as text', { max_attempts: '3' }, 'max_attempts'],
  ])('answers 422 naming the field for %s', async (_what, body, field) => {
    const res = await auto(body);
    expect(res.status).toBe(422);
    const { detail } = JSON.parse(res.raw) as { detail: { loc: string[] }[] };
    expect(detail).toEqual(
      expect.arrayContaining([expect.objectContaining({ loc: ['body', field] })]),
    );
    expect(fake.requests).toHaveLength(0);
  });
});

describe('POST codegen/auto answers 503 before the stream', () => {
  it('when the model is not configured (no API key)', async () => {
    const t = await startTestApp({ ANTHROPIC_API_KEY: '' });
    try {
      const sessionId = await uploadCsv(t, CSV);
      const res = await postSse(t, '/codegen/auto', {
        session_id: sessionId,
        refined_prompt: SPEC,
      });
      expect(res.status).toBe(503);
      expect(JSON.parse(res.raw).detail).toMatch(/ANTHROPIC_API_KEY is not set/);
    } finally {
      await t.close();
    }
  });

  it('when the sandbox refuses work (production without bubblewrap)', async () => {
    const fake = await FakeAnthropic.start(CANARY_API_KEY);
    const t = await startTestApp({
      APP_ENV: 'production',
      SANDBOX_ISOLATION: 'process',
      SANDBOX_POOL_SIZE: '0',
      ANTHROPIC_API_KEY: CANARY_API_KEY,
      ANTHROPIC_BASE_URL: fake.url,
    });
    try {
      const sessionId = await uploadCsv(t, CSV);
      const res = await postSse(t, '/codegen/auto', {
        session_id: sessionId,
        refined_prompt: SPEC,
      });
      expect(res.status).toBe(503);
      expect(JSON.parse(res.raw).detail).toMatch(/production requires bubblewrap/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});

describe('POST codegen/auto answers 429 before the stream, as the other AI endpoints', () => {
  it('past MAX_STREAMS_PER_CLIENT open streams, then past the ai rate limit', async () => {
    const { fake, t, sessionId } = await startAiTestApp(CSV, {
      MAX_STREAMS_PER_CLIENT: '1',
      RATE_LIMIT_AI_MAX: '2',
    });
    try {
      const body = { session_id: sessionId, refined_prompt: SPEC };
      fake.enqueue(hangingReply(['import pandas as pd\n']));
      const open = await openAuto(t, body);
      await open.until((e) => 'chunk' in e);

      const busy = await postSse(t, '/codegen/auto', body);
      expect(busy.status).toBe(429);
      expect(JSON.parse(busy.raw).detail).toMatch(/MAX_STREAMS_PER_CLIENT/);

      open.disconnect();
      await fake.requests[0].closed;
      const limited = await postSse(t, '/codegen/auto', body);
      expect(limited.status).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(limited.raw).detail).toMatch(/^Too many AI requests/);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await stopAiTestApp({ fake, t });
    }
  });
});
