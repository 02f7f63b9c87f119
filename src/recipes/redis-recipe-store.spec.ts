import Redis from 'ioredis';
import { recipeStoreContract } from '../../test/contracts/recipe-store.contract';
import { startRedis, TestRedis } from '../../test/support/redis-server';
import { connectRedis } from '../common/redis/redis-connection';
import { RedisRecipeStore } from './redis-recipe-store';

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

recipeStoreContract('redis', async () => ({
  store: new RedisRecipeStore(redis, `t${++prefixes}:`),
}));

describe('RedisRecipeStore in Redis', () => {
  it('keeps recipes without expiry and leaves out a value that is not a recipe', async () => {
    const store = new RedisRecipeStore(redis, 'x:');
    await store.save({
      id: 'r1',
      name: 'n',
      description: null,
      steps: ['def transform(df):\n    return df\n'],
      inputColumns: [],
      inputDtypes: [],
      createdAt: 1,
    });
    expect(await redis.pttl('x:recipe:r1')).toBe(-1);
    await redis.set('x:recipe:r2', '{"id":"r2"}');
    await redis.zadd('x:recipes', 2, 'r2');
    expect((await store.list()).map((r) => r.id)).toEqual(['r1']);
    expect(await redis.zrange('x:recipes', 0, -1)).toEqual(['r1']);
  });
});
