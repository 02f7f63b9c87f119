import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Clock } from '../src/common/clock/clock';
import { SessionsService } from '../src/sessions/sessions.service';
import { startTestApp, TestApp } from './support/test-app';

class FakeClock extends Clock {
  current = Date.parse('2026-01-01T00:00:00Z');
  now(): number {
    return this.current;
  }
}

describe('session expiry, logging and shutdown', () => {
  const clock = new FakeClock();
  const canaryKey = 'sk-ant-api03-CANARY-never-log-me-0123456789';
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SESSION_TTL_SECONDS: '600', ANTHROPIC_API_KEY: canaryKey }, (b) =>
      b.overrideProvider(Clock).useValue(clock),
    );
  });
  afterAll(async () => t?.close());

  const upload = () =>
    request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.from('a,b\n1,2\n'), 'x.csv')
      .expect(200);

  it('expires sessions after SESSION_TTL_SECONDS: 404, and the sweep deletes files and cache', async () => {
    const { body } = await upload();
    const id = body.session_id as string;
    expect(readdirSync(join(t.root, 'inbound'))).toContain(id);
    clock.current += 599_000;
    await request(t.http).get(`${t.prefix}/sessions/${id}`).expect(200);
    clock.current += 2_000;
    expect(await t.app.get(SessionsService).sweepExpired()).toBe(1);
    await request(t.http).get(`${t.prefix}/sessions/${id}`).expect(404);
    await request(t.http).get(`${t.prefix}/sessions/${id}/rows`).expect(404);
    expect(readdirSync(join(t.root, 'inbound'))).not.toContain(id);
  });

  it('answers 404 for an expired session even before the sweep runs', async () => {
    const { body } = await upload();
    clock.current += 601_000;
    const res = await request(t.http).get(`${t.prefix}/sessions/${body.session_id}`).expect(404);
    expect(res.body.detail).toBe(`Session '${body.session_id}' not found`);
  });

  it('writes structured log lines with the request id, and never the API key', async () => {
    await request(t.http)
      .get(`${t.prefix}/sessions/not-a-session`)
      .set('X-Request-ID', 'trace-me-42')
      .expect(404);
    await upload().set('X-Request-ID', 'upload-req-7');
    await new Promise((r) => setTimeout(r, 200));
    const log = readFileSync(join(t.root, 'logs', 'app.log'), 'utf8');
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.request_id === 'upload-req-7' && l.msg === 'upload cached')).toBe(
      true,
    );
    expect(lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string')).toBe(
      true,
    );
    expect(log).not.toContain(canaryKey);
  });

  it('closes DuckDB and removes its spill folder on shutdown, and keeps sessions for the next start', async () => {
    const tmp = join(t.root, 'tmp');
    expect(readdirSync(tmp).some((d) => d.startsWith('duckdb-spill-'))).toBe(true);
    const res = await upload();
    const id = (res.body as { session_id: string }).session_id;
    await t.app.close();
    expect(readdirSync(tmp).some((d) => d.startsWith('duckdb-spill-'))).toBe(false);
    expect(readdirSync(join(t.root, 'inbound', id)).sort()).toEqual(
      expect.arrayContaining(['session.json', 'table.parquet']),
    );
    expect(existsSync(join(t.root, 'logs', 'app.log'))).toBe(true);
  });
});
