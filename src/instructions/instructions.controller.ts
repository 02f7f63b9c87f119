import { Body, Controller, HttpCode, Post, Res, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { StreamSlotInterceptor } from '../auth/stream-slot.interceptor';
import { abortOnClientGone, ApiEventStream, writeSse } from '../common/http/sse';
import { AppLogger } from '../common/logging/app-logger.service';
import { RefineInstructionsDto } from './dto/refine-instructions.dto';
import { InstructionsService } from './instructions.service';

@ApiTags('instructions')
@Controller('instructions')
export class InstructionsController {
  constructor(
    private readonly instructions: InstructionsService,
    private readonly logger: AppLogger,
  ) {}

  @Post('refine')
  @HttpCode(200)
  @UseInterceptors(StreamSlotInterceptor)
  @ApiOperation({ summary: 'Turn rough instructions into a precise specification, streamed' })
  @ApiEventStream(
    'The specification as Markdown (Objective, Input columns, Transformation steps, Output columns, Edge cases).',
  )
  async refine(@Body() body: RefineInstructionsDto, @Res() res: Response): Promise<void> {
    const client = abortOnClientGone(res);
    const events = await this.instructions.refine(
      body.session_id,
      body.raw_instructions,
      client.signal,
      body.source_job_id ?? null,
    );
    await writeSse(res, events, client, this.logger);
  }
}
