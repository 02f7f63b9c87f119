import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { postSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { FakeAnthropic } from './support/fake-anthropic';
import { TestApp } from './support/test-app';

async function waitForLog(path: string, needle: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text.includes(needle)) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`log never contained ${needle}`);
}

const SPEC =
  '## Objective\nKeep every row.\n## Transformation steps\n1. Return the table unchanged.';

/** The seed's users' configuration: only APP_ENV and AI_TEMPERATURE set, every limit default. */
describe("the seed's configuration (APP_ENV=staging, the seed's defaults)", () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp('region,amount\nNorth,1\n', {
      APP_ENV: 'staging',
      LOG_LEVEL: 'INFO',
      AI_TEMPERATURE: '0.2',
    }));
  });

  afterAll(async () => stopAiTestApp({ fake, t }));

  it('starts as staging', async () => {
    const res = await request(t.http).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', env: 'staging' });
  });

  it('asks the model for up to 8192 tokens of code and 2048 of specification', async () => {
    fake.reset();
    const generated = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: SPEC,
    });
    expect(generated.status).toBe(200);
    await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: 'Keep every row.',
    });
    expect(fake.requests.map((r) => r.body.max_tokens)).toEqual([8192, 2048]);
  });

  it('says at start that AI_TEMPERATURE is ignored, and never sends it', async () => {
    const log = await waitForLog(join(t.root, 'logs', 'app.log'), 'AI_TEMPERATURE=0.2 is ignored');
    expect(log).toMatch(/"level":"warn"[^\n]*AI_TEMPERATURE=0.2 is ignored/);
    fake.reset();
    await postSse(t, '/codegen/generate', { session_id: sessionId, refined_prompt: SPEC });
    expect(fake.requests[0].body).not.toHaveProperty('temperature');
  });

  it('refuses a 51 MB upload with 413 (MAX_UPLOAD_SIZE_MB=50)', async () => {
    const big = Buffer.alloc(51 * 1024 * 1024, 'a,b\n');
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', big, 'big.csv')
      .expect(413);
    expect(res.body.detail).toMatch(/larger than the 50 MB upload limit/);
  });
});
