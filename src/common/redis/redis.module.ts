import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { queueConfig } from '../../config/configuration';
import { AppLogger } from '../logging/app-logger.service';
import { connectRedis, redisOptionsFromUrl } from './redis-connection';

/**
 * The distributed shape's Redis (REDIS_URL): one shared connection for the stores and
 * locks, opened on first use (never in the embedded shape) and closed at shutdown; BullMQ
 * opens its own from `options`. `key(name)` prefixes a key with REDIS_KEY_PREFIX.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private connection: Redis | null = null;

  constructor(
    @Inject(queueConfig.KEY) private readonly cfg: ConfigType<typeof queueConfig>,
    private readonly logger: AppLogger,
  ) {}

  /** Whether this deployment is distributed (REDIS_URL set). */
  get enabled(): boolean {
    return this.cfg.redisUrl !== null;
  }

  /** Every key of this deployment starts with this (`<REDIS_KEY_PREFIX>:`). */
  get prefix(): string {
    return `${this.cfg.keyPrefix}:`;
  }

  get options(): RedisOptions {
    return redisOptionsFromUrl(this.url());
  }

  get client(): Redis {
    if (!this.connection) {
      this.connection = connectRedis(this.url(), `${this.cfg.keyPrefix}-state`);
      // ioredis reconnects by itself; an error event without a listener would crash.
      this.connection.on('error', (error: unknown) => this.logger.error(error, 'Redis'));
    }
    return this.connection;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.quit().catch(() => this.connection?.disconnect());
    this.connection = null;
  }

  private url(): string {
    if (!this.cfg.redisUrl) throw new Error('REDIS_URL is not set');
    return this.cfg.redisUrl;
  }
}

@Global()
@Module({ providers: [RedisConnection], exports: [RedisConnection] })
export class RedisModule {}
