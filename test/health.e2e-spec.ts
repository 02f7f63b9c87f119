import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

describe('GET /health and HTTP basics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('reports status, directories and the sandbox', async () => {
    const res = await request(t.http).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', env: 'test', version: '0.1.0' });
    expect(res.body.inbound_dir).toContain(t.root);
    expect(['bwrap', 'process']).toContain(res.body.sandbox.isolation);
    expect(res.body.sandbox.pandas).toMatch(/^\d+\.\d+/);
    // The embedded shape: this process queues and runs the jobs.
    expect(res.body.queue).toEqual({ kind: 'in-process', workers: 1 });
  });

  it('sets security headers and echoes a safe request id', async () => {
    const res = await request(t.http).get('/health').set('X-Request-ID', 'abc-123').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['x-request-id']).toBe('abc-123');
    const fresh = await request(t.http)
      .get('/health')
      .set('X-Request-ID', 'bad id with spaces')
      .expect(200);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with {detail}', async () => {
    const res = await request(t.http).get('/nope').expect(404);
    expect(typeof res.body.detail).toBe('string');
  });

  it('serves Swagger UI and the OpenAPI document outside production', async () => {
    await request(t.http).get('/docs').redirects(1).expect(200);
    const doc = await request(t.http).get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/health', `${t.prefix}/sessions/{session_id}`]),
    );
  });

  it('answers unknown sessions with 404', async () => {
    const res = await request(t.http)
      .get(`${t.prefix}/sessions/00000000-0000-4000-8000-000000000000`)
      .expect(404);
    expect(res.body.detail).toMatch(/not found/);
  });
});

describe('production mode', () => {
  it('refuses to start without ANTHROPIC_API_KEY', async () => {
    await expect(startTestApp({ APP_ENV: 'production', ANTHROPIC_API_KEY: '' })).rejects.toThrow(
      /ANTHROPIC_API_KEY is not set/,
    );
  });

  it('hides Swagger and answers CORS only for allowed origins', async () => {
    const t = await startTestApp({
      APP_ENV: 'production',
      ANTHROPIC_API_KEY: 'sk-ant-test-key-for-production-mode',
      ALLOWED_ORIGINS: '["https://app.example"]',
      SANDBOX_ALLOW_WEAK_ISOLATION: 'true',
    });
    try {
      await request(t.http).get('/docs').expect(404);
      await request(t.http).get('/docs-json').expect(404);
      const ok = await request(t.http)
        .get('/health')
        .set('Origin', 'https://app.example')
        .expect(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
      const other = await request(t.http)
        .get('/health')
        .set('Origin', 'https://evil.example')
        .expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('refuses to start when a directory cannot be created', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'acb-block-')), 'a-file');
    writeFileSync(blocker, 'not a directory');
    await expect(startTestApp({ INBOUND_DIR: join(blocker, 'inbound') })).rejects.toThrow(
      /ENOTDIR|not writable/,
    );
  });
});

describe('request bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('answers malformed JSON with 400 {detail}', async () => {
    const res = await request(t.http)
      .post(`${t.prefix}/instructions/refine`)
      .set('Content-Type', 'application/json')
      .send('{"session_id": ')
      .expect(400);
    expect(res.body.detail).toMatch(/^Request body is not valid JSON/);
    expect(res.headers['x-request-id']).toBeDefined();
  });

  it('answers an invalid body with 422 and one item per problem', async () => {
    const res = await request(t.http)
      .post(`${t.prefix}/instructions/refine`)
      .send({ session_id: 42, raw_instructions: 'short' })
      .expect(422);
    const locs = (res.body.detail as { loc: string[] }[]).map((d) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.session_id', 'body.raw_instructions']));
    for (const item of res.body.detail) {
      expect(typeof item.msg).toBe('string');
      expect(typeof item.type).toBe('string');
    }
  });

  it('answers a body over the JSON limit with 413', async () => {
    const res = await request(t.http)
      .post(`${t.prefix}/instructions/refine`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ raw_instructions: 'x'.repeat(2 * 1024 * 1024) }))
      .expect(413);
    expect(res.body).toEqual({ detail: 'Request body is too large' });
  });
});
