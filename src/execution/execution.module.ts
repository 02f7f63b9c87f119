import { Module } from '@nestjs/common';
import { SandboxModule } from '../sandbox/sandbox.module';
import { SessionsModule } from '../sessions/sessions.module';
import { StorageModule } from '../storage/storage.module';
import { ExecutionController } from './execution.controller';
import { ExecutionService } from './execution.service';
import { InputCache } from './input-cache.service';
import { OutputExportService } from './output-export.service';
import { OutputStore } from './output-store.service';

/** Steps 4 and 5: run a transform as a queued, sandboxed job; preview and download its output. */
@Module({
  imports: [SandboxModule, SessionsModule, StorageModule],
  controllers: [ExecutionController],
  providers: [ExecutionService, InputCache, OutputStore, OutputExportService],
})
export class ExecutionModule {}
