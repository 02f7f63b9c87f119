/**
 * Rate limits in the distributed shape count a client's requests on every API node together
 * (the throttler's counters live in Redis): two API processes, one Redis, real HTTP.
 */
import { startRedis, TestRedis } from './support/redis-server';
import {
  ServerProcess,
  sharedDirs,
  SharedDirs,
  startServerProcess,
} from './support/server-process';

jest.setTimeout(120_000);

async function upload(api: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob(['a,b\n1,2\n']), 'data.csv');
  return fetch(`${api}/upload`, { method: 'POST', body: form });
}

describe('rate limits across API nodes (distributed shape)', () => {
  let redis: TestRedis;
  let dirs: SharedDirs;
  const nodes: ServerProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dirs = sharedDirs();
    const env = { REDIS_URL: redis.url, RATE_LIMIT_UPLOAD_MAX: '3', SANDBOX_POOL_SIZE: '0' };
    nodes.push(
      ...(await Promise.all([
        startServerProcess({ name: 'api1', dirs, env }),
        startServerProcess({ name: 'api2', dirs, env }),
      ])),
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    await redis?.stop();
    dirs?.remove();
  });

  it('refuses the upload past RATE_LIMIT_UPLOAD_MAX whichever node counted the others', async () => {
    const [api1, api2] = nodes;
    for (const api of [api1, api2, api1]) expect((await upload(api.api)).status).toBe(200);
    const refused = await upload(api2.api);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/at most 3 per 60 s/);
  });
});
