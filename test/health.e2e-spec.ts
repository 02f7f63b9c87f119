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
  });

  it('sets security headers and echoes a safe request id', async () => {
    const res = await request(t.http).get('/health').set('X-Request-ID', 'abc-123').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['x-request-id']).toBe('abc-123');
    const fresh = await request(t.http).get('/health').set('X-Request-ID', 'bad id with spaces').expect(200);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with {detail}', async () => {
    const res = await request(t.http).get('/nope').expect(404);
    expect(typeof res.body.detail).toBe('string');
  });

  it('serves Swagger UI and the OpenAPI document outside production', async () => {
    await request(t.http).get('/docs').redirects(1).expect(200);
    const doc = await request(t.http).get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/health', `${t.prefix}/sessions/{session_id}`]));
  });

  it('answers unknown sessions with 404', async () => {
    const res = await request(t.http).get(`${t.prefix}/sessions/00000000-0000-4000-8000-000000000000`).expect(404);
    expect(res.body.detail).toMatch(/not found/);
  });
});
