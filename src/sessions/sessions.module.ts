import { Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock/clock';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { RedisConnection } from '../common/redis/redis.module';
import { RedisLock } from '../common/redis/redis-lock';
import { sessionConfig, storageConfig } from '../config/configuration';
import { FileSessionStore } from './file-session-store';
import { RedisSessionStore } from './redis-session-store';
import { SessionRoomGuard } from './session-room.guard';
import { SessionRowsService } from './session-rows.service';
import { SessionsController } from './sessions.controller';
import { SessionStore } from './session-store';
import { SessionsService } from './sessions.service';
import { LocalSweepLease, SweepLease } from './sweep-lease';

@Module({
  controllers: [SessionsController],
  providers: [
    SessionsService,
    SessionRowsService,
    SessionRoomGuard,
    { provide: Clock, useClass: SystemClock },
    // Embedded: sessions live in their folders and survive a restart. Distributed: in
    // Redis, where every node sees them.
    {
      provide: SessionStore,
      inject: [storageConfig.KEY, sessionConfig.KEY, RedisConnection, AppLogger],
      useFactory: (
        storage: ConfigType<typeof storageConfig>,
        session: ConfigType<typeof sessionConfig>,
        redis: RedisConnection,
        logger: AppLogger,
      ): SessionStore =>
        redis.enabled
          ? new RedisSessionStore(redis.client, { prefix: redis.prefix, graceMs: session.ttlMs })
          : new FileSessionStore(storage.inboundDir, (fields) =>
              logger.warn(fields, 'SessionStore'),
            ),
    },
    {
      provide: SweepLease,
      inject: [RedisConnection],
      useFactory: (redis: RedisConnection): SweepLease =>
        redis.enabled
          ? new RedisLock(redis.client, `${redis.prefix}lock:session-sweep`)
          : new LocalSweepLease(),
    },
  ],
  exports: [SessionsService, SessionRowsService, SessionRoomGuard],
})
export class SessionsModule {}
