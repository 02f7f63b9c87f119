import { Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock/clock';
import { InMemorySessionStore } from './in-memory-session-store';
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
    { provide: SessionStore, useClass: InMemorySessionStore },
  ],
  exports: [SessionsService, SessionRowsService, SessionRoomGuard],
})
export class SessionsModule {}
