import request from 'supertest';
import { postSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { FakeAnthropic, hangingReply, textReply } from './support/fake-anthropic';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const CSV = 'region,amount\nNorth,1\nSouth,2\n';
const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';
const INSTRUCTIONS = 'Sum the amount per region.';
const SPEC = '## Objective\nTotal amount per region, one row per region, sorted by region name.';
const CODE = 'def transform(df):\n    return df\n';

const ENDPOINTS: [string, (sessionId: string) => Record<string, unknown>][] = [
  ['/instructions/refine', (id) => ({ session_id: id, raw_instructions: INSTRUCTIONS })],
  ['/codegen/generate', (id) => ({ session_id: id, refined_prompt: SPEC })],
  ['/codegen/fix', (id) => ({ session_id: id, broken_code: CODE, error_message: 'NameError: x' })],
];

describe('AI endpoints answer 404 and 422 before any stream', () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp(CSV));
  });

  afterAll(async () => stopAiTestApp({ fake, t }));

  beforeEach(() => fake.reset());

  it.each(ENDPOINTS)(
    '%s: unknown session is a JSON 404 and the model is not called',
    async (path, body) => {
      const res = await postSse(t, path, body(UNKNOWN_SESSION));

      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.raw)).toEqual({ detail: `Session '${UNKNOWN_SESSION}' not found` });
      expect(fake.requests).toHaveLength(0);
    },
  );

  it.each([
    [
      '/instructions/refine',
      'instructions under 10 characters',
      { session_id: 'x', raw_instructions: 'too short' },
      'raw_instructions',
    ],
    ['/instructions/refine', 'no session_id', { raw_instructions: INSTRUCTIONS }, 'session_id'],
    [
      '/instructions/refine',
      'instructions over 5000 characters',
      { session_id: 'x', raw_instructions: 'y'.repeat(5001) },
      'raw_instructions',
    ],
    [
      '/codegen/generate',
      'a spec under 50 characters',
      { session_id: 'x', refined_prompt: 'short spec' },
      'refined_prompt',
    ],
    [
      '/codegen/generate',
      'a spec over 20000 characters',
      { session_id: 'x', refined_prompt: 'y'.repeat(20_001) },
      'refined_prompt',
    ],
    [
      '/codegen/fix',
      'code under 10 characters',
      { session_id: 'x', broken_code: 'x=1', error_message: 'e' },
      'broken_code',
    ],
    [
      '/codegen/fix',
      'an empty error message',
      { session_id: 'x', broken_code: CODE, error_message: '' },
      'error_message',
    ],
    [
      '/codegen/fix',
      'an error message over 5000 characters',
      { session_id: 'x', broken_code: CODE, error_message: 'e'.repeat(5001) },
      'error_message',
    ],
  ])('%s with %s is a 422 naming the field', async (path, _what, body, field) => {
    const res = await postSse(t, path, body);

    expect(res.status).toBe(422);
    const { detail } = JSON.parse(res.raw) as {
      detail: { loc: string[]; msg: string; type: string }[];
    };
    expect(detail).toEqual(
      expect.arrayContaining([expect.objectContaining({ loc: ['body', field] })]),
    );
    expect(detail.every((d) => typeof d.msg === 'string' && typeof d.type === 'string')).toBe(true);
    expect(fake.requests).toHaveLength(0);
  });

  it('accepts the longest bodies the contract allows', async () => {
    fake.enqueue(textReply(['ok']));
    const res = await postSse(t, '/codegen/fix', {
      session_id: sessionId,
      broken_code: `# ${'x'.repeat(99_990)}\n`.slice(0, 100_000),
      error_message: 'e'.repeat(5000),
    });
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
  });

  it('documents the three endpoints as text/event-stream in OpenAPI', async () => {
    const doc = await request(t.http).get('/docs-json').expect(200);
    const paths = doc.body.paths as Record<
      string,
      { post: { responses: Record<string, { content?: object }> } }
    >;
    for (const [path] of ENDPOINTS) {
      const responses = paths[`${t.prefix}${path}`].post.responses;
      expect(Object.keys(responses['200'].content ?? {})).toEqual(['text/event-stream']);
      expect(Object.keys(responses)).toEqual(expect.arrayContaining(['404', '422', '503']));
    }
  });
});

describe('AI endpoints without an API key', () => {
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    t = await startTestApp({ ANTHROPIC_API_KEY: '' });
    sessionId = await uploadCsv(t, CSV);
  });

  afterAll(async () => t.close());

  it.each(ENDPOINTS)('%s: 503 with a detail that says how to set the key', async (path, body) => {
    const res = await postSse(t, path, body(sessionId));

    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { detail } = JSON.parse(res.raw) as { detail: string };
    expect(detail).toMatch(/ANTHROPIC_API_KEY/);
    expect(detail).toMatch(/\.env/);
    expect(detail).toMatch(/restart/);
  });

  it('still answers 404 first for an unknown session', async () => {
    const res = await postSse(t, '/instructions/refine', {
      session_id: UNKNOWN_SESSION,
      raw_instructions: INSTRUCTIONS,
    });
    expect(res.status).toBe(404);
  });
});

describe('AI endpoints when the model stalls', () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp(CSV, { AI_REQUEST_TIMEOUT_SECONDS: '1' }));
  });

  afterAll(async () => stopAiTestApp({ fake, t }));

  it('ends a stream that stops sending with a "timed out" error event and closes the upstream', async () => {
    fake.enqueue(hangingReply(['## Objective\n']));
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(res.events).toEqual([
      { chunk: '## Objective\n', done: false },
      { error: expect.stringMatching(/timed out/i), done: true },
    ]);
    await fake.requests[0].closed;
    expect(fake.requests[0].aborted).toBe(true);
  });
});
