import { Module } from '@nestjs/common';
import { StreamSlotsModule } from '../../auth/stream-slots.module';
import { ExecutionModule } from '../../execution/execution.module';
import { LlmModule } from '../../llm/llm.module';
import { SandboxModule } from '../../sandbox';
import { SessionsModule } from '../../sessions/sessions.module';
import { CodegenModule } from '../codegen.module';
import { AutoModeController } from './auto-mode.controller';
import { AutoModeService } from './auto-mode.service';

/** Auto mode: generate, run, repair (POST codegen/auto), on codegen's prompts and execution's jobs. */
@Module({
  imports: [
    CodegenModule,
    ExecutionModule,
    LlmModule,
    SandboxModule,
    SessionsModule,
    StreamSlotsModule,
  ],
  controllers: [AutoModeController],
  providers: [AutoModeService],
})
export class AutoModeModule {}
