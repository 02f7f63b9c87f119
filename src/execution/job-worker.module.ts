import { Module } from '@nestjs/common';
import { SandboxRunnerModule } from '../sandbox';
import { SessionsModule } from '../sessions/sessions.module';
import { StorageModule } from '../storage/storage.module';
import { ExecutionModule } from './execution.module';
import { InputCache } from './input-cache.service';
import { JobRunner } from './job-runner.service';

/**
 * Where jobs run: the JobQueue's worker side, the sandboxes' warm pool and the input cache.
 * Part of the embedded server (AppModule) and of a worker process (WorkerModule); API
 * nodes of the distributed shape leave it out (ApiModule).
 */
@Module({
  imports: [ExecutionModule, SandboxRunnerModule, SessionsModule, StorageModule],
  providers: [InputCache, JobRunner],
})
export class JobWorkerModule {}
