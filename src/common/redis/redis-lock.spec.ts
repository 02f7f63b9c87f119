import Redis from 'ioredis';
import { startRedis, TestRedis } from '../../../test/support/redis-server';
import { connectRedis, redisOptionsFromUrl } from './redis-connection';
import { RedisLock } from './redis-lock';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, database and credentials, and waits for reconnects (BullMQ workers)', () => {
    expect(redisOptionsFromUrl('redis://u%40x:p%3Aw@cache.internal:6380/2')).toEqual({
      host: 'cache.internal',
      port: 6380,
      db: 2,
      username: 'u@x',
      password: 'p:w',
      maxRetriesPerRequest: null,
    });
    expect(redisOptionsFromUrl('redis://127.0.0.1')).toMatchObject({ port: 6379, db: 0 });
    expect(redisOptionsFromUrl('rediss://r.example').tls).toEqual({ servername: 'r.example' });
  });

  it('refuses what is not a Redis URL, saying why', () => {
    expect(() => redisOptionsFromUrl('localhost:6379')).toThrow(/redis:\/\//);
    expect(() => redisOptionsFromUrl('not a url')).toThrow(/not a URL/);
    expect(() => redisOptionsFromUrl('redis://h/abc')).toThrow(/database must be a number/);
  });
});

describe('RedisLock', () => {
  let server: TestRedis;
  let redis: Redis;
  let other: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = connectRedis(server.url, 'lock-a');
    other = connectRedis(server.url, 'lock-b');
  });
  afterAll(async () => {
    await Promise.all([redis.quit(), other.quit()]);
    await server.stop();
  });

  it('lets one holder at a time take the lease, and only the holder release it', async () => {
    const a = new RedisLock(redis, 'test:sweep');
    const b = new RedisLock(other, 'test:sweep');
    const tokens = await Promise.all([a.acquire(10_000), b.acquire(10_000)]);
    const winner = tokens.find((t) => t !== null);
    expect(tokens.filter((t) => t === null)).toHaveLength(1);
    expect(await b.release('not-the-token')).toBe(false);
    expect(await b.acquire(10_000)).toBeNull();
    expect(await a.release(winner!)).toBe(true);
    expect(await a.release(winner!)).toBe(false);
    const next = await b.acquire(10_000);
    expect(next).not.toBeNull();
    await b.release(next!);
  });

  it('lapses after its TTL, and a late release then frees nothing of the next holder', async () => {
    const a = new RedisLock(redis, 'test:lapse');
    const b = new RedisLock(other, 'test:lapse');
    const old = await a.acquire(1);
    expect(old).not.toBeNull();
    let next: string | null = null;
    while (next === null) next = await b.acquire(10_000);
    expect(await a.release(old!)).toBe(false);
    expect(await redis.get('test:lapse')).toBe(next);
    await b.release(next);
  });

  it('runs work exclusively: a second caller runs nothing while the first holds the lease', async () => {
    const a = new RedisLock(redis, 'test:exclusive');
    const b = new RedisLock(other, 'test:exclusive');
    const ran: string[] = [];
    let inner: boolean | undefined;
    const first = await a.runExclusive(10_000, async () => {
      ran.push('a');
      inner = await b.runExclusive(10_000, async () => void ran.push('b'));
    });
    expect([first, inner, ran]).toEqual([true, false, ['a']]);
    expect(await redis.exists('test:exclusive')).toBe(0);
    await expect(
      a.runExclusive(10_000, async () => {
        throw new Error('sweep failed');
      }),
    ).rejects.toThrow('sweep failed');
    expect(await redis.exists('test:exclusive')).toBe(0);
  });
});
