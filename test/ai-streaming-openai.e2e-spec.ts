import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinedChunks, openSse, postSse, SseResponse } from './support/ai-client';
import {
  FakeOpenAi,
  openAiErrorReply,
  openAiHangingReply,
  openAiRateLimitedReply,
  openAiStreamErrorReply,
  openAiTextReply,
} from './support/fake-openai';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

/** Shaped like a real OpenAI key, so the pattern and the exact-value scrub both apply. */
const CANARY_KEY = 'sk-proj-CANARY-openai-7c2e9a4b1d8f6e3a5c0b9d2e';
const CSV = 'region,amount,id\nNorth,10.5,a1\nSouth,20,a2\nNorth,,a3\n';
const INSTRUCTIONS = 'Sum the amount per region and sort by the total, largest first.';
const SPEC =
  '## Objective\nTotal amount per region.\n## Transformation steps\n1. Group by region and sum amount.\n2. Sort descending.';
const CODE =
  'import pandas as pd\n\n\ndef transform(df):\n    return df.groupby("region", as_index=False)["amount"].sum()\n';

interface SentBody {
  model: string;
  max_tokens: number;
  stream: boolean;
  stream_options: { include_usage: boolean };
  messages: { role: string; content: string }[];
}

async function waitForLog(path: string, needles: string[]): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (needles.every((n) => text.includes(n))) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`log never contained ${needles.join(', ')}`);
}

async function startWithFake(
  env: Record<string, string>,
): Promise<{ fake: FakeOpenAi; t: TestApp; sessionId: string }> {
  const fake = await FakeOpenAi.start(CANARY_KEY);
  try {
    const t = await startTestApp({
      LLM_PROVIDER: 'openai',
      // No Anthropic key: the openai provider needs only its own.
      ANTHROPIC_API_KEY: '',
      OPENAI_API_KEY: CANARY_KEY,
      OPENAI_BASE_URL: fake.url,
      ...env,
    });
    return { fake, t, sessionId: await uploadCsv(t, CSV) };
  } catch (error) {
    await fake.close();
    throw error;
  }
}

describe('LLM_PROVIDER=openai: AI endpoints stream from Chat Completions (fake upstream, real SDK)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startWithFake({
      OPENAI_MODEL: 'qwen2.5-coder',
      REFINE_MAX_TOKENS: '321',
      CODEGEN_MAX_TOKENS: '654',
      AI_MAX_RETRIES: '1',
    }));
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.acceptedKey = CANARY_KEY;
  });

  const sent = (i = 0): SentBody => fake.requests[i].body as unknown as SentBody;

  it('refine: each delta is its own event, then done with usage mapped to the same fields', async () => {
    fake.enqueue(
      openAiTextReply(['## Objective\n', 'Total amount', ' per region.\n'], {
        usage: { prompt_tokens: 2342, completion_tokens: 240, cached_tokens: 1530 },
      }),
    );
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.raw.startsWith('data: {"chunk":"## Objective\\n","done":false}\n\n')).toBe(true);
    expect(res.events).toEqual([
      { chunk: '## Objective\n', done: false },
      { chunk: 'Total amount', done: false },
      { chunk: ' per region.\n', done: false },
      {
        done: true,
        // prompt_tokens counts the cached ones; input_tokens, as with Anthropic, does not.
        usage: {
          input_tokens: 812,
          output_tokens: 240,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 1530,
        },
        stop_reason: 'end_turn',
      },
    ]);
  });

  it('refine: calls the configured model, system prompt as a system message, asks for usage', async () => {
    fake.enqueue(openAiTextReply(['ok']));
    await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].path).toBe('/v1/chat/completions');
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${CANARY_KEY}`);
    const body = sent();
    expect(body).toMatchObject({
      model: 'qwen2.5-coder',
      max_tokens: 321,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[0].content).toContain('## Transformation steps');
    expect(body.messages[1].content).toContain('- "amount": float64');
    expect(body.messages[1].content).toContain(INSTRUCTIONS);
  });

  it('generate: joined chunks are plain Python even when the fence is split across deltas', async () => {
    fake.enqueue(
      openAiTextReply([
        'Here is the module:\n\n``',
        '`py',
        'thon\nimport pandas as pd\n\n\ndef transform(df',
        '):\n    return df.groupby("region", as_index=False)["amount"].sum()\n`',
        '``\n\nThis sums the amount per region.',
      ]),
    );
    const res = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });

    expect(res.status).toBe(200);
    expect(joinedChunks(res.events)).toBe(CODE);
    expect(sent().max_tokens).toBe(654);
    expect(res.events[res.events.length - 1]).toMatchObject({
      done: true,
      stop_reason: 'end_turn',
      usage: expect.objectContaining({ input_tokens: 1200, cache_read_input_tokens: 3100 }),
    });
  });

  it('a length finish is reported as max_tokens', async () => {
    fake.enqueue(openAiTextReply(['## Obj'], { finishReason: 'length' }));
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });
    expect(res.events[res.events.length - 1]).toMatchObject({ stop_reason: 'max_tokens' });
  });

  it('retries a 429 (with retry-after) before the first token, then streams the answer', async () => {
    fake.enqueue(openAiRateLimitedReply('0'), openAiTextReply(['## Objective\n']));
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(fake.requests).toHaveLength(2);
    expect(res.events).toEqual([
      { chunk: '## Objective\n', done: false },
      expect.objectContaining({ done: true, usage: expect.any(Object) }),
    ]);
  });

  it.each([
    ['rate limited', [openAiRateLimitedReply('0'), openAiRateLimitedReply('0')], /rate limit/i],
    [
      'overloaded (503)',
      [
        openAiErrorReply(503, 'server_error', 'The server is overloaded'),
        openAiErrorReply(503, 'server_error', 'The server is overloaded'),
      ],
      /overloaded/i,
    ],
    [
      'an internal error (500)',
      [
        openAiErrorReply(500, 'server_error', 'boom'),
        openAiErrorReply(500, 'server_error', 'boom'),
      ],
      /internal error/i,
    ],
  ])('ends with a readable error event when retries run out: %s', async (_n, replies, message) => {
    fake.enqueue(...replies);
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(fake.requests).toHaveLength(2);
    expect(res.status).toBe(200);
    expect(res.events).toEqual([{ error: expect.stringMatching(message), done: true }]);
  });

  it.each([
    [
      'a prompt over the context length',
      openAiErrorReply(
        400,
        'invalid_request_error',
        "This model's maximum context length is 8192 tokens.",
        'context_length_exceeded',
      ),
      /too large/i,
    ],
    [
      'an unknown model',
      openAiErrorReply(404, 'invalid_request_error', 'model "x" not found', 'model_not_found'),
      /OPENAI_MODEL/,
    ],
    [
      'a rejected request',
      openAiErrorReply(400, 'invalid_request_error', 'messages[1].content: bad value'),
      /rejected the request\. It said: messages\[1\]\.content: bad value/,
    ],
  ])('maps %s to a readable error event', async (_name, reply, message) => {
    fake.enqueue(reply);
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });
    expect(fake.requests).toHaveLength(1);
    expect(res.events).toEqual([{ error: expect.stringMatching(message), done: true }]);
  });

  it('reports an error chunk sent mid-stream after the chunks already delivered', async () => {
    fake.enqueue(
      openAiStreamErrorReply(
        ['import pandas as pd\n', 'def transform(df):\n'],
        'server_error',
        'The server is overloaded, please try again',
      ),
    );
    const res = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });

    expect(fake.requests).toHaveLength(1);
    expect(joinedChunks(res.events)).toBe('import pandas as pd\ndef transform(df):\n');
    expect(res.events[res.events.length - 1]).toEqual({
      error: expect.stringMatching(/overloaded/i),
      done: true,
    });
    expect(res.events.filter((e) => e.done === true)).toHaveLength(1);
  });

  it('a stream that closes before finishing is an "incomplete" error, not a done', async () => {
    fake.enqueue({ kind: 'stream', steps: [{ data: { choices: [{ delta: { content: 'x' } }] } }] });
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });
    expect(res.events).toEqual([
      { chunk: 'x', done: false },
      { error: expect.stringMatching(/stopped before finishing/), done: true },
    ]);
  });

  it('aborts the upstream request when the client disconnects, and the next request works', async () => {
    fake.enqueue(openAiHangingReply(['## Objective\n']));
    const stream = await openSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });
    expect(await stream.firstEvent).toEqual({ chunk: '## Objective\n', done: false });
    expect(fake.requests[0].aborted).toBe(false);

    stream.disconnect();
    await fake.requests[0].closed;
    expect(fake.requests[0].aborted).toBe(true);

    fake.enqueue(openAiTextReply([CODE]));
    const res = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });
    expect(joinedChunks(res.events)).toBe(CODE);
  });

  it('a wrong key is an invalid API key naming OPENAI_API_KEY; the key is in no body or log', async () => {
    const responses: SseResponse[] = [];
    fake.enqueue(
      openAiTextReply(['## Objective\n']),
      openAiStreamErrorReply(['partial'], 'server_error', `upstream failed for key ${CANARY_KEY}`),
      openAiErrorReply(400, 'invalid_request_error', `bad request with ${CANARY_KEY} inside`),
    );
    const refine = { session_id: sessionId, raw_instructions: INSTRUCTIONS };
    for (let i = 0; i < 3; i++) responses.push(await postSse(t, '/instructions/refine', refine));
    fake.acceptedKey = 'sk-proj-another-key-000000000000';
    responses.push(
      await postSse(t, '/codegen/generate', { session_id: sessionId, refined_prompt: SPEC }),
    );

    expect(responses.map((r) => r.events[r.events.length - 1])).toEqual([
      expect.objectContaining({ done: true, usage: expect.any(Object) }),
      { error: expect.stringMatching(/internal error/i), done: true },
      { error: expect.stringMatching(/rejected the request.*\[REDACTED\] inside/), done: true },
      { error: expect.stringMatching(/invalid API key.*OPENAI_API_KEY/), done: true },
    ]);
    for (const r of responses) {
      expect(r.raw).not.toContain(CANARY_KEY);
      expect(JSON.stringify(r.headers)).not.toContain(CANARY_KEY);
    }
    // The fake did receive the key, so the checks have something to miss.
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${CANARY_KEY}`);

    const log = await waitForLog(join(t.root, 'logs', 'app.log'), [
      'model call finished',
      'model call failed',
      'OpenAiSdk',
    ]);
    expect(log).not.toContain(CANARY_KEY);
    expect(log).not.toContain('CANARY-openai');
  });
});

describe('LLM_PROVIDER=openai without OPENAI_API_KEY, or with a stalling model', () => {
  it('answers 503 with a detail naming OPENAI_API_KEY', async () => {
    const t = await startTestApp({
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: '',
      ANTHROPIC_API_KEY: 'sk-ant-unused-key-0000000000000000',
    });
    try {
      const sessionId = await uploadCsv(t, CSV);
      const res = await postSse(t, '/instructions/refine', {
        session_id: sessionId,
        raw_instructions: INSTRUCTIONS,
      });
      expect(res.status).toBe(503);
      const { detail } = JSON.parse(res.raw) as { detail: string };
      expect(detail).toMatch(/OPENAI_API_KEY is not set/);
      expect(detail).not.toMatch(/ANTHROPIC/);
    } finally {
      await t.close();
    }
  });

  it('ends a stream that stops sending with a "timed out" error and closes the upstream', async () => {
    const { fake, t, sessionId } = await startWithFake({ AI_REQUEST_TIMEOUT_SECONDS: '1' });
    try {
      fake.enqueue(openAiHangingReply(['## Objective\n']));
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
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
