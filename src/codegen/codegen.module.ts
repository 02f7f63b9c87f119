import { Module } from '@nestjs/common';
import { StreamSlotsModule } from '../auth/stream-slots.module';
import { LlmModule } from '../llm/llm.module';
import { SandboxModule, SandboxPolicyModule } from '../sandbox';
import { SessionsModule } from '../sessions/sessions.module';
import { CodegenController } from './codegen.controller';
import { CodegenService } from './codegen.service';
import { DatasetProfileService } from './dataset-profile.service';

@Module({
  // SandboxModule for its status port (the interpreter versions the prompt quotes).
  imports: [LlmModule, SessionsModule, StreamSlotsModule, SandboxModule, SandboxPolicyModule],
  controllers: [CodegenController],
  providers: [CodegenService, DatasetProfileService],
  exports: [CodegenService],
})
export class CodegenModule {}
