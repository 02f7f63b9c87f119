import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { LeftoverSweep } from './leftover-sweep.service';
import { SocketTimeouts } from './socket-timeouts';
import { StorageBudget } from './storage-budget.service';

/** Disk that is always freed: storage budgets, the start-up sweep, stalled sockets closed. */
@Module({
  imports: [SessionsModule],
  providers: [StorageBudget, LeftoverSweep, SocketTimeouts],
  exports: [StorageBudget],
})
export class StorageModule {}
