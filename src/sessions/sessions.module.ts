import { Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock/clock';
import { SessionRowsService } from './session-rows.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  controllers: [SessionsController],
  providers: [SessionsService, SessionRowsService, { provide: Clock, useClass: SystemClock }],
  exports: [SessionsService, SessionRowsService],
})
export class SessionsModule {}
