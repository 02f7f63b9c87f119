import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type Redis from 'ioredis';

/**
 * The rate limits' counters in the distributed shape's Redis (a well-kept storage for
 * @nestjs/throttler), so every API node counts a client's requests together; keys are put
 * under REDIS_KEY_PREFIX so deployments sharing one Redis do not count for each other.
 */
export class RedisThrottlerStorage extends ThrottlerStorageRedisService {
  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    super(redis);
  }

  override increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return super.increment(`${this.prefix}rate:${key}`, ttl, limit, blockDuration, throttlerName);
  }
}
