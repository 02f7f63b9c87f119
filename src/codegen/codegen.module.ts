import { Module } from '@nestjs/common';
import { StreamSlotsModule } from '../auth/stream-slots.module';
import { ExecutionModule } from '../execution/execution.module';
import { LlmModule } from '../llm/llm.module';
import { SandboxModule, SandboxPolicyModule } from '../sandbox';
import { SessionsModule } from '../sessions/sessions.module';
import { CodegenController } from './codegen.controller';
import { CodegenService } from './codegen.service';
import { DatasetProfileService } from './dataset-profile.service';

@Module({
  // SandboxModule for its status port (the interpreter versions the prompt quotes);
  // ExecutionModule for the data a step works on (the upload or a job's output).
  imports: [
    LlmModule,
    SessionsModule,
    StreamSlotsModule,
    SandboxModule,
    SandboxPolicyModule,
    ExecutionModule,
  ],
  controllers: [CodegenController],
  providers: [CodegenService, DatasetProfileService],
  exports: [CodegenService],
})
export class CodegenModule {}
