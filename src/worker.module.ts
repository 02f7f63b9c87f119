import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggingModule } from './common/logging/logging.module';
import { RedisModule } from './common/redis/redis.module';
import { StartupChecks } from './common/startup-checks';
import { AppConfigModule } from './config/config.module';
import { DuckDbModule } from './duckdb/duckdb.module';
import { JobWorkerModule } from './execution/job-worker.module';
import { MetricsModule } from './metrics/metrics.module';

/**
 * A worker of the distributed shape (src/worker.ts): no HTTP; takes jobs from the BullMQ
 * queue at REDIS_URL and runs them in its own sandboxes, reading and writing the sessions'
 * files on the shared INBOUND_DIR.
 */
@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    MetricsModule,
    RedisModule,
    ScheduleModule.forRoot(),
    DuckDbModule,
    JobWorkerModule,
  ],
  providers: [StartupChecks],
})
export class WorkerModule {}
