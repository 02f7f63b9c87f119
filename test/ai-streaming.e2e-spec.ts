import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CANARY_API_KEY,
  joinedChunks,
  openSse,
  postSse,
  startAiTestApp,
  stopAiTestApp,
} from './support/ai-client';
import {
  errorReply,
  FakeAnthropic,
  hangingReply,
  overloadedReply,
  rateLimitedReply,
  streamErrorReply,
  textReply,
} from './support/fake-anthropic';
import { CachedTableRepository } from '../src/duckdb/cached-table.repository';
import { SessionsService } from '../src/sessions/sessions.service';
import { TestApp, uploadCsv } from './support/test-app';

const CSV = 'region,amount,id\nNorth,10.5,a1\nSouth,20,a2\nNorth,,a3\n';
const INSTRUCTIONS = 'Sum the amount per region and sort by the total, largest first.';
const SPEC =
  '## Objective\nTotal amount per region.\n## Transformation steps\n1. Group by region and sum amount.\n2. Sort descending.';
const CODE =
  'import pandas as pd\n\n\ndef transform(df):\n    return df.groupby("region", as_index=False)["amount"].sum()\n';

/** Text of the `<data label="...">` blocks in a prompt. */
function dataBlocks(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/<data label="([^"]+)">\n([\s\S]*?)\n<\/data>/g)) out[m[1]] = m[2];
  return out;
}

interface SentBody {
  model: string;
  max_tokens: number;
  stream: boolean;
  system: { type: string; text: string; cache_control?: { type: string } }[];
  messages: {
    role: string;
    content: { type: string; text: string; cache_control?: { type: string } }[];
  }[];
}

describe('AI endpoints stream from the Messages API (fake upstream, real SDK)', () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp(CSV, {
      ANTHROPIC_MODEL: 'claude-test-model',
      REFINE_MAX_TOKENS: '321',
      CODEGEN_MAX_TOKENS: '654',
      AI_MAX_RETRIES: '1',
    }));
  });

  afterAll(async () => stopAiTestApp({ fake, t }));

  beforeEach(() => {
    fake.reset();
    fake.acceptedKey = CANARY_API_KEY;
  });

  const sent = (i = 0): SentBody => fake.requests[i].body as unknown as SentBody;

  it('refine: sends each delta as its own event, then done with usage', async () => {
    fake.enqueue(
      textReply(['## Objective\n', 'Total amount', ' per region.\n'], {
        usage: {
          input_tokens: 812,
          output_tokens: 240,
          cache_creation_input_tokens: 1530,
          cache_read_input_tokens: 0,
        },
      }),
    );
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.raw.startsWith('data: {"chunk":"## Objective\\n","done":false}\n\n')).toBe(true);
    expect(res.events).toEqual([
      { chunk: '## Objective\n', done: false },
      { chunk: 'Total amount', done: false },
      { chunk: ' per region.\n', done: false },
      {
        done: true,
        usage: {
          input_tokens: 812,
          output_tokens: 240,
          cache_creation_input_tokens: 1530,
          cache_read_input_tokens: 0,
        },
        stop_reason: 'end_turn',
      },
    ]);
  });

  it('refine: calls the configured model with the schema and the words as data, system prompt cached', async () => {
    fake.enqueue(textReply(['ok']));
    await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req.path).toBe('/v1/messages');
    expect(req.headers.authorization).toBe(`Bearer ${CANARY_API_KEY}`);
    const body = sent();
    expect(body).toMatchObject({ model: 'claude-test-model', max_tokens: 321, stream: true });
    expect(body).not.toHaveProperty('temperature');
    expect(body.system).toHaveLength(1);
    expect(body.system[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(body.system[0].text).toContain('## Transformation steps');
    const [context, task] = body.messages[0].content;
    expect(dataBlocks(context.text)['table columns']).toBe(
      '- "region": object\n- "amount": float64\n- "id": object',
    );
    expect(context.cache_control).toEqual({ type: 'ephemeral' });
    expect(dataBlocks(task.text)['instructions from the person']).toBe(INSTRUCTIONS);
  });

  it('generate: joined chunks are plain Python even when the fence is split across deltas', async () => {
    fake.enqueue(
      textReply([
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
    expect(
      res.events.slice(0, -1).every((e) => e.done === false && (e.chunk as string).length > 0),
    ).toBe(true);
    expect(res.events[res.events.length - 1]).toMatchObject({
      done: true,
      stop_reason: 'end_turn',
    });
    expect(res.events[res.events.length - 1].usage).toEqual(
      expect.objectContaining({ input_tokens: 1200, cache_read_input_tokens: 3100 }),
    );
  });

  it('generate: the prompt carries the spec, dtypes, a DuckDB profile, sample rows and the allowlist', async () => {
    fake.enqueue(textReply([CODE]));
    await postSse(t, '/codegen/generate', { session_id: sessionId, refined_prompt: SPEC });

    const body = sent();
    expect(body.max_tokens).toBe(654);
    const policy = JSON.parse(
      readFileSync(join(__dirname, '..', 'config', 'sandbox-policy.json'), 'utf8'),
    ) as {
      allowed_imports: string[];
    };
    for (const name of policy.allowed_imports) expect(body.system[0].text).toContain(`\`${name}\``);
    expect(body.system[0].cache_control).toEqual({ type: 'ephemeral' });

    const [context, task] = body.messages[0].content;
    const columns = dataBlocks(context.text)['table columns'].split('\n');
    expect(columns[0]).toBe(
      '- "region": object; nulls 0; distinct 2; most common "North" (2), "South" (1); longest 5 characters',
    );
    expect(columns[1]).toMatch(
      /^- "amount": float64; nulls 1; all 2 non-null values distinct; min "10\.5"; max "20(\.0)?"$/,
    );
    expect(columns[2]).toBe(
      '- "id": object; nulls 0; all 3 non-null values distinct; longest 2 characters',
    );
    expect(dataBlocks(context.text)['sample rows'].split('\n')).toEqual([
      '["region","amount","id"]',
      '["North",10.5,"a1"]',
      '["South",20,"a2"]',
      '["North",null,"a3"]',
    ]);
    expect(dataBlocks(task.text).specification).toBe(SPEC);
  });

  it('fix: sends the broken code and the error with the same cached context as generate', async () => {
    fake.enqueue(textReply([CODE]), textReply(['```python\n', CODE, '```\n']));
    await postSse(t, '/codegen/generate', { session_id: sessionId, refined_prompt: SPEC });
    const broken = 'def transform(df):\n    return df.groupby("regoin").sum()\n';
    const res = await postSse(t, '/codegen/fix', {
      session_id: sessionId,
      broken_code: broken,
      error_message: "KeyError: 'regoin'",
    });

    expect(joinedChunks(res.events)).toBe(CODE);
    const generate = sent(0);
    const fix = sent(1);
    expect(fix.max_tokens).toBe(654);
    expect(fix.system).toEqual(generate.system);
    expect(fix.messages[0].content[0]).toEqual(generate.messages[0].content[0]);
    const blocks = dataBlocks(fix.messages[0].content[1].text);
    expect(blocks['code that failed']).toBe(broken);
    expect(blocks['error message']).toBe("KeyError: 'regoin'");
  });

  it('retries a 529 (overloaded) before the first token, then streams the answer', async () => {
    fake.enqueue(overloadedReply('0'), textReply(['## Objective\n']));
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

  it('ends with an error event a person can act on when retries run out (rate limited)', async () => {
    fake.enqueue(rateLimitedReply('0'), rateLimitedReply('0'));
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(fake.requests).toHaveLength(2);
    expect(res.status).toBe(200);
    expect(res.events).toEqual([{ error: expect.stringMatching(/rate limit/i), done: true }]);
  });

  it('reports an error event sent mid-stream after the chunks already delivered', async () => {
    fake.enqueue(
      streamErrorReply(
        ['import pandas as pd\n', 'def transform(df):\n'],
        'overloaded_error',
        'Overloaded',
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

  it.each([
    [
      'an invalid API key',
      errorReply(401, 'authentication_error', 'invalid x-api-key'),
      /invalid API key/i,
    ],
    [
      'a request too large',
      errorReply(413, 'request_too_large', 'Request exceeds the maximum size'),
      /too large/i,
    ],
    [
      'a prompt over the context window',
      errorReply(
        400,
        'invalid_request_error',
        'prompt is too long: 210000 tokens > 200000 maximum',
      ),
      /too large/i,
    ],
    [
      'a permission problem',
      errorReply(403, 'permission_error', 'not allowed'),
      /not allowed to use this model/i,
    ],
  ])('maps %s to a readable error event', async (_name, reply, message) => {
    fake.enqueue(reply);
    const res = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });

    expect(res.events).toEqual([{ error: expect.stringMatching(message), done: true }]);
    expect(res.raw).not.toContain(CANARY_API_KEY);
  });

  it('reports a wrong key as an invalid API key without echoing it', async () => {
    fake.acceptedKey = 'sk-ant-some-other-key-000000';
    const res = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });

    expect(res.events).toEqual([{ error: expect.stringMatching(/invalid API key/i), done: true }]);
    expect(res.events[0].error).toContain('ANTHROPIC_API_KEY');
    expect(res.raw).not.toContain(CANARY_API_KEY);
  });

  it('ends with an error event, not a dropped connection, when preparing the prompt fails', async () => {
    const broken = await uploadCsv(t, CSV);
    const { table } = await t.app.get(SessionsService).get(broken);
    // The session's rows (a table, or a view over its file) go from under the prompt builder.
    await t.app.get(CachedTableRepository).drop(table);
    const res = await postSse(t, '/codegen/generate', { session_id: broken, refined_prompt: SPEC });

    expect(res.status).toBe(200);
    expect(res.events).toEqual([{ error: 'Internal server error', done: true }]);
    expect(fake.requests).toHaveLength(0);
  });

  it('aborts the upstream request when the client disconnects', async () => {
    fake.enqueue(hangingReply(['## Objective\n']));
    const stream = await openSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: INSTRUCTIONS,
    });
    expect(await stream.firstEvent).toEqual({ chunk: '## Objective\n', done: false });
    expect(fake.requests[0].aborted).toBe(false);

    stream.disconnect();
    await fake.requests[0].closed;
    expect(fake.requests[0].aborted).toBe(true);
  });

  it('aborts a code generation too, and the next request still works', async () => {
    fake.enqueue(hangingReply(['```python\n', 'import pandas as pd\n']));
    const stream = await openSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });
    expect(await stream.firstEvent).toEqual({ chunk: 'import pandas as pd\n', done: false });
    stream.disconnect();
    await fake.requests[0].closed;
    expect(fake.requests[0].aborted).toBe(true);

    fake.enqueue(textReply([CODE]));
    const res = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });
    expect(joinedChunks(res.events)).toBe(CODE);
  });
});
