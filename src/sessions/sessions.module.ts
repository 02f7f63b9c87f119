import { Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock/clock';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { storageConfig } from '../config/configuration';
import { FileSessionStore } from './file-session-store';
import { SessionRoomGuard } from './session-room.guard';
import { SessionRowsService } from './session-rows.service';
import { SessionsController } from './sessions.controller';
import { SessionStore } from './session-store';
import { SessionsService } from './sessions.service';

@Module({
  controllers: [SessionsController],
  providers: [
    SessionsService,
    SessionRowsService,
    SessionRoomGuard,
    { provide: Clock, useClass: SystemClock },
    // The embedded shape: sessions live in their folders and survive a restart.
    {
      provide: SessionStore,
      inject: [storageConfig.KEY, AppLogger],
      useFactory: (cfg: ConfigType<typeof storageConfig>, logger: AppLogger): SessionStore =>
        new FileSessionStore(cfg.inboundDir, (fields) => logger.warn(fields, 'SessionStore')),
    },
  ],
  exports: [SessionsService, SessionRowsService, SessionRoomGuard],
})
export class SessionsModule {}
