import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { RedisConnection } from '../common/redis/redis.module';
import { queueConfig, sandboxConfig, sessionConfig, storageConfig } from '../config/configuration';
import { SandboxModule } from '../sandbox';
import { SessionsModule } from '../sessions/sessions.module';
import { StorageModule } from '../storage/storage.module';
import { ExecutionController } from './execution.controller';
import { ExecutionService } from './execution.service';
import { BullJobQueue } from './jobs/bullmq-job-queue';
import { FileJobStore } from './jobs/file-job-store';
import { InProcessJobQueue } from './jobs/in-process-job-queue';
import { JobQueue } from './jobs/job-queue';
import { JobStore } from './jobs/job-store';
import { RedisJobStore } from './jobs/redis-job-store';
import { OutputExportService } from './output-export.service';
import { OutputStore } from './output-store.service';

/**
 * Steps 4 and 5, the HTTP side: accept a transform as a queued job, answer its status,
 * preview and download. Running jobs is JobWorkerModule's.
 */
@Module({
  imports: [SandboxModule, SessionsModule, StorageModule],
  controllers: [ExecutionController],
  providers: [
    ExecutionService,
    OutputStore,
    OutputExportService,
    // Embedded: job records live in their session's folder and survive a restart, and the
    // queue is this process's. Distributed: both in Redis (BullMQ for the queue).
    {
      provide: JobStore,
      inject: [storageConfig.KEY, sessionConfig.KEY, RedisConnection, AppLogger],
      useFactory: (
        storage: ConfigType<typeof storageConfig>,
        session: ConfigType<typeof sessionConfig>,
        redis: RedisConnection,
        logger: AppLogger,
      ): JobStore =>
        redis.enabled
          ? new RedisJobStore(redis.client, { prefix: redis.prefix, ttlMs: 2 * session.ttlMs })
          : new FileJobStore(storage.inboundDir, (fields) => logger.warn(fields, 'JobStore')),
    },
    {
      provide: JobQueue,
      inject: [sandboxConfig.KEY, queueConfig.KEY, RedisConnection, AppLogger],
      useFactory: (
        cfg: ConfigType<typeof sandboxConfig>,
        queue: ConfigType<typeof queueConfig>,
        redis: RedisConnection,
        logger: AppLogger,
      ): JobQueue => {
        const limits = {
          concurrency: cfg.maxConcurrency,
          maxQueued: cfg.maxQueuedJobs,
          maxPerSession: cfg.maxQueuedJobsPerSession,
          maxQueuedPerClient: cfg.maxQueuedJobsPerClient,
        };
        const onError = (error: unknown): void => logger.error(error, 'JobQueue');
        return redis.enabled
          ? new BullJobQueue(limits, {
              connection: redis.options,
              prefix: redis.prefix,
              stallMs: queue.stallMs,
              onError,
            })
          : new InProcessJobQueue(limits, onError);
      },
    },
  ],
  exports: [ExecutionService, JobQueue, JobStore, OutputStore],
})
export class ExecutionModule {}
