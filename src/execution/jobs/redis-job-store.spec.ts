import Redis from 'ioredis';
import { jobStoreContract } from '../../../test/contracts/job-store.contract';
import { startRedis, TestRedis } from '../../../test/support/redis-server';
import { connectRedis } from '../../common/redis/redis-connection';
import { newJob } from './job';
import { RedisJobStore } from './redis-job-store';

let server: TestRedis;
let redis: Redis;
let other: Redis;
let prefixes = 0;
beforeAll(async () => {
  server = await startRedis();
  redis = connectRedis(server.url);
  other = connectRedis(server.url);
});
afterAll(async () => {
  await Promise.all([redis.quit(), other.quit()]);
  await server.stop();
});

jobStoreContract('redis', async () => ({
  store: new RedisJobStore(redis, { prefix: `t${++prefixes}:`, ttlMs: 60_000 }),
}));

describe('RedisJobStore in Redis', () => {
  it('loses no field when two nodes update one job at once', async () => {
    const a = new RedisJobStore(redis, { prefix: 'race:', ttlMs: 60_000 });
    const b = new RedisJobStore(other, { prefix: 'race:', ttlMs: 60_000 });
    await a.create(newJob('j1', 's1', 1));
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => a.update('s1', 'j1', { stdout: `out ${i}` })),
      ...Array.from({ length: 20 }, (_, i) => b.update('s1', 'j1', { stderr: `err ${i}` })),
      b.update('s1', 'j1', { status: 'running', startedAt: 5 }),
    ]);
    expect(await a.get('s1', 'j1')).toMatchObject({
      status: 'running',
      startedAt: 5,
      stdout: 'out 19',
      stderr: 'err 19',
    });
  });

  it('keeps keys under its prefix with a TTL, refreshed by each write', async () => {
    const store = new RedisJobStore(redis, { prefix: 'ttl:', ttlMs: 50_000 });
    await store.create(newJob('j1', 's1', 1));
    await redis.pexpire('ttl:job:s1:j1', 20_000);
    await store.update('s1', 'j1', { status: 'running' });
    for (const key of ['ttl:job:s1:j1', 'ttl:jobs:s1']) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(40_000);
      expect(ttl).toBeLessThanOrEqual(50_000);
    }
  });

  it('answers a session’s jobs to one of two nodes deleting it at once', async () => {
    const a = new RedisJobStore(redis, { prefix: 'del:', ttlMs: 60_000 });
    const b = new RedisJobStore(other, { prefix: 'del:', ttlMs: 60_000 });
    await a.create(newJob('x', 's1', 1));
    await a.create(newJob('y', 's1', 2));
    const answers = await Promise.all([a.deleteSession('s1'), b.deleteSession('s1')]);
    expect(answers.map((jobs) => jobs.map((j) => j.id)).sort()).toEqual([[], ['x', 'y']]);
    expect(await redis.keys('del:*')).toEqual([]);
  });
});
