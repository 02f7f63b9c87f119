import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const TOKEN_A = 'token-alpha-7f3c9e1b5d2a8c4e';
const TOKEN_B = 'token-bravo-2b6d0f4a8c1e5b9d';
const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';
const CSV = 'a,b\n1,x\n2,y\n';

const bearer = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];

function upload(t: TestApp, headers: Record<string, string> = {}): request.Test {
  return request(t.http)
    .post(`${t.prefix}/upload`)
    .set(headers)
    .attach('file', Buffer.from(CSV), 'data.csv');
}

describe('API_AUTH_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ API_AUTH_TOKEN: JSON.stringify([TOKEN_A, TOKEN_B]) });
  });
  afterAll(async () => t.close());

  it('answers 401 {detail} with WWW-Authenticate: Bearer without a token', async () => {
    const res = await request(t.http).get(`${t.prefix}/sessions/${UNKNOWN_SESSION}`).expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ detail: expect.stringMatching(/Bearer/) });
    expect(res.headers['x-request-id']).toBeDefined();
    await upload(t).expect(401);
  });

  it('answers 401 to a wrong token, of the same length or not, and to another scheme', async () => {
    for (const wrong of [TOKEN_A.replace(/.$/, '0'), 'short-token', `${TOKEN_A}x`]) {
      const res = await request(t.http)
        .get(`${t.prefix}/sessions/${UNKNOWN_SESSION}`)
        .set(...bearer(wrong))
        .expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body.detail).toBe('The bearer token is not valid');
    }
    await request(t.http)
      .get(`${t.prefix}/sessions/${UNKNOWN_SESSION}`)
      .set('Authorization', `Basic ${Buffer.from(`u:${TOKEN_A}`).toString('base64')}`)
      .expect(401);
  });

  it('lets each configured token through', async () => {
    const res = await upload(t, { Authorization: `Bearer ${TOKEN_A}` }).expect(200);
    const sessionId = (res.body as { session_id: string }).session_id;
    await request(t.http)
      .get(`${t.prefix}/sessions/${sessionId}`)
      .set(...bearer(TOKEN_B))
      .expect(200);
    await request(t.http)
      .get(`${t.prefix}/sessions/${UNKNOWN_SESSION}`)
      .set('Authorization', `bearer ${TOKEN_B}`)
      .expect(404);
  });

  it('leaves GET /health open and keeps /metrics closed by default', async () => {
    await request(t.http).get('/health').expect(200);
    const closed = await request(t.http).get('/metrics').expect(401);
    expect(closed.headers['www-authenticate']).toBe('Bearer');
    await request(t.http)
      .get('/metrics')
      .set(...bearer(TOKEN_A))
      .expect(200);
  });

  it('describes the scheme in OpenAPI (the Authorize button) with /health open', async () => {
    const doc = await request(t.http).get('/docs-json').expect(200);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(doc.body.security).toEqual([{ bearer: [] }]);
    expect(doc.body.paths['/health'].get.security).toEqual([]);
    expect(doc.body.paths['/metrics'].get.security).not.toEqual([]);
  });
});

describe('METRICS_AUTH=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ API_AUTH_TOKEN: TOKEN_A, METRICS_AUTH: 'false' });
  });
  afterAll(async () => t.close());

  it('opens GET /metrics and nothing else', async () => {
    await request(t.http).get('/metrics').expect(200);
    await request(t.http).get(`${t.prefix}/sessions/${UNKNOWN_SESSION}`).expect(401);
  });
});

describe('configuration', () => {
  it('refuses a short token and a bad TRUST_PROXY, without echoing the token', async () => {
    const error = await startTestApp({ API_AUTH_TOKEN: 'too-short', TRUST_PROXY: 'everyone' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/API_AUTH_TOKEN=<hidden>: each must be 16\.\.512/);
    expect(error?.message).toMatch(/TRUST_PROXY=.*everyone.*must be a hop count/);
    expect(error?.message).not.toMatch(/too-short/);
  });
});

describe('rate limits per client, by forwarded address (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      TRUST_PROXY: '1',
      RATE_LIMIT_UPLOAD_MAX: '2',
      RATE_LIMIT_AI_MAX: '2',
      RATE_LIMIT_EXECUTE_MAX: '1',
    });
  });
  afterAll(async () => t.close());

  const from = (address: string) => ({ 'X-Forwarded-For': address });

  it('answers the upload over the limit with 429 {detail} and Retry-After, per address', async () => {
    await upload(t, from('203.0.113.7')).expect(200);
    await upload(t, from('203.0.113.7')).expect(200);
    const over = await upload(t, from('203.0.113.7')).expect(429);
    expect(over.body).toEqual({ detail: expect.stringMatching(/uploads.*at most 2 per 60 s/) });
    expect(over.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    await upload(t, from('198.51.100.4')).expect(200);
  });

  it('counts refine, generate and fix together, and nothing else', async () => {
    const client = from('192.0.2.10');
    const body = { session_id: UNKNOWN_SESSION };
    const ai = (path: string) => request(t.http).post(`${t.prefix}${path}`).set(client).send(body);
    expect((await ai('/instructions/refine')).status).not.toBe(429);
    expect((await ai('/codegen/generate')).status).not.toBe(429);
    const over = await ai('/codegen/fix').expect(429);
    expect(over.body.detail).toMatch(/AI requests/);
    for (let i = 0; i < 5; i++) {
      await request(t.http).get(`${t.prefix}/sessions/${UNKNOWN_SESSION}`).set(client).expect(404);
      await request(t.http).get('/health').set(client).expect(200);
    }
  });

  it('counts job submissions, not polling or downloads', async () => {
    const client = from('192.0.2.20');
    const sessionRes = await upload(t, from('192.0.2.21')).expect(200);
    const sessionId = (sessionRes.body as { session_id: string }).session_id;
    const code = 'def transform(df):\n    return df\n';
    const submitted = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set(client)
      .send({ session_id: sessionId, code })
      .expect(200);
    const jobId = (submitted.body as { job_id: string }).job_id;
    for (let i = 0; i < 3; i++) {
      await request(t.http)
        .get(`${t.prefix}/execute/${sessionId}/${jobId}`)
        .set(client)
        .expect(200);
    }
    const over = await request(t.http)
      .post(`${t.prefix}/execute`)
      .set(client)
      .send({ session_id: sessionId, code })
      .expect(429);
    expect(over.headers['retry-after']).toMatch(/^\d+$/);
    expect(over.body.detail).toMatch(/job submissions/);
  });
});

describe('rate limits per client, by token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      API_AUTH_TOKEN: JSON.stringify([TOKEN_A, TOKEN_B]),
      RATE_LIMIT_UPLOAD_MAX: '1',
    });
  });
  afterAll(async () => t.close());

  it('gives each token its own count, whatever the address', async () => {
    await upload(t, { Authorization: `Bearer ${TOKEN_A}` }).expect(200);
    const over = await upload(t, { Authorization: `Bearer ${TOKEN_A}` }).expect(429);
    expect(over.headers['retry-after']).toMatch(/^\d+$/);
    await upload(t, { Authorization: `Bearer ${TOKEN_B}` }).expect(200);
  });

  it('refuses a request without a token before counting it', async () => {
    await upload(t).expect(401);
    await upload(t, { Authorization: `Bearer ${TOKEN_B}` }).expect(429);
  });
});

describe('without TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_UPLOAD_MAX: '1' });
  });
  afterAll(async () => t.close());

  it('ignores X-Forwarded-For: the client is the socket address', async () => {
    await upload(t, { 'X-Forwarded-For': '203.0.113.1' }).expect(200);
    await upload(t, { 'X-Forwarded-For': '203.0.113.2' }).expect(429);
  });
});
