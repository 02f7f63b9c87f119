import { Module } from '@nestjs/common';
import { StreamSlotsModule } from '../auth/stream-slots.module';
import { ExecutionModule } from '../execution/execution.module';
import { LlmModule } from '../llm/llm.module';
import { SessionsModule } from '../sessions/sessions.module';
import { InstructionsController } from './instructions.controller';
import { InstructionsService } from './instructions.service';

@Module({
  imports: [LlmModule, SessionsModule, StreamSlotsModule, ExecutionModule],
  controllers: [InstructionsController],
  providers: [InstructionsService],
})
export class InstructionsModule {}
