import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { sandboxConfig, storageConfig } from '../config/configuration';
import { SandboxModule } from '../sandbox';
import { SessionsModule } from '../sessions/sessions.module';
import { StorageModule } from '../storage/storage.module';
import { ExecutionController } from './execution.controller';
import { ExecutionService } from './execution.service';
import { FileJobStore } from './jobs/file-job-store';
import { InProcessJobQueue } from './jobs/in-process-job-queue';
import { JobQueue } from './jobs/job-queue';
import { JobStore } from './jobs/job-store';
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
    // The embedded shape: job records live in their session's folder and survive a restart.
    {
      provide: JobStore,
      inject: [storageConfig.KEY, AppLogger],
      useFactory: (cfg: ConfigType<typeof storageConfig>, logger: AppLogger): JobStore =>
        new FileJobStore(cfg.inboundDir, (fields) => logger.warn(fields, 'JobStore')),
    },
    {
      provide: JobQueue,
      inject: [sandboxConfig.KEY, AppLogger],
      useFactory: (cfg: ConfigType<typeof sandboxConfig>, logger: AppLogger): JobQueue =>
        new InProcessJobQueue(
          {
            concurrency: cfg.maxConcurrency,
            maxQueued: cfg.maxQueuedJobs,
            maxPerSession: cfg.maxQueuedJobsPerSession,
            maxQueuedPerClient: cfg.maxQueuedJobsPerClient,
          },
          (error) => logger.error(error, 'ExecutionService'),
        ),
    },
  ],
  exports: [JobQueue, JobStore, OutputStore],
})
export class ExecutionModule {}
