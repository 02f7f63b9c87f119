import { Module } from '@nestjs/common';
import { StreamSlotsModule } from '../auth/stream-slots.module';
import { LlmModule } from '../llm/llm.module';
import { SandboxModule } from '../sandbox/sandbox.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CodegenController } from './codegen.controller';
import { CodegenService } from './codegen.service';
import { DatasetProfileService } from './dataset-profile.service';
import { loadSandboxPolicy, SANDBOX_POLICY } from '../sandbox/policy/sandbox-policy';

@Module({
  imports: [LlmModule, SessionsModule, StreamSlotsModule, SandboxModule],
  controllers: [CodegenController],
  providers: [
    CodegenService,
    DatasetProfileService,
    // Read once at start: a missing or malformed policy file stops the app early.
    { provide: SANDBOX_POLICY, useFactory: () => loadSandboxPolicy() },
  ],
})
export class CodegenModule {}
