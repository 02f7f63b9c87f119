import Redis from 'ioredis';
import { sessionStoreContract } from '../../test/contracts/session-store.contract';
import { startRedis, TestRedis } from '../../test/support/redis-server';
import { connectRedis } from '../common/redis/redis-connection';
import { RedisSessionStore } from './redis-session-store';

let server: TestRedis;
let redis: Redis;
let prefixes = 0;
beforeAll(async () => {
  server = await startRedis();
  redis = connectRedis(server.url);
});
afterAll(async () => {
  await redis.quit();
  await server.stop();
});

sessionStoreContract('redis', async () => ({
  store: new RedisSessionStore(redis, { prefix: `t${++prefixes}:` }),
}));

describe('RedisSessionStore in Redis', () => {
  const session = (id: string, createdAt: number, expiresAt: number) => ({
    id,
    dataset: {
      filename: 'a.csv',
      fileSizeBytes: 1,
      rowCount: 0,
      columns: [],
      dtypes: [],
      warnings: [],
    },
    table: `session_${id}`,
    dir: `/tmp/${id}`,
    createdAt,
    expiresAt,
    owner: 'c',
  });

  it('keeps keys under its prefix, expiring a grace period after the session does', async () => {
    const now = 1_000_000;
    const store = new RedisSessionStore(redis, { prefix: 'ttl:', graceMs: 60_000 }, () => now);
    const expiresAt = Date.now() + 3_600_000;
    await store.save(session('s1', 1, expiresAt));
    expect(await redis.keys('ttl:*')).toEqual(
      expect.arrayContaining(['ttl:session:s1', 'ttl:sessions']),
    );
    expect(await redis.pexpiretime('ttl:session:s1')).toBe(expiresAt + 60_000);
  });

  it('drops from the list a session whose key Redis expired', async () => {
    const store = new RedisSessionStore(redis, { prefix: 'gone:' });
    await store.save(session('a', 1, Date.now() + 60_000));
    await store.save(session('b', 2, Date.now() + 60_000));
    await redis.del('gone:session:a');
    expect((await store.list()).map((s) => s.id)).toEqual(['b']);
    expect(await redis.zrange('gone:sessions', 0, -1)).toEqual(['b']);
  });
});
