import { Body, Controller, HttpCode, Post, Res, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { StreamSlotInterceptor } from '../../auth/stream-slot.interceptor';
import { abortOnClientGone, ApiEventStream, writeSse } from '../../common/http/sse';
import { AppLogger } from '../../common/logging/app-logger.service';
import { AutoModeService } from './auto-mode.service';
import { AutoModeDto } from './dto/auto-mode.dto';

@ApiTags('codegen')
@Controller('codegen')
export class AutoModeController {
  constructor(
    private readonly auto: AutoModeService,
    private readonly logger: AppLogger,
  ) {}

  @Post('auto')
  @HttpCode(200)
  @UseInterceptors(StreamSlotInterceptor)
  @ApiOperation({
    summary: 'Generate the module, run it, and repair it until it succeeds (auto mode), streamed',
  })
  @ApiEventStream(
    "Auto mode: each attempt's code as chunks (`phase` generate or fix, `attempt`), a `check` " +
      'event when the static check refuses it, `execute` events as its job changes status, ' +
      'then a final event with `status`, `job_id`, `attempts`, `code` and the summed `usage`.',
  )
  @ApiTooManyRequestsResponse({ description: 'Rate limit or open-stream limit of the client' })
  async run(@Body() body: AutoModeDto, @Res() res: Response): Promise<void> {
    const client = abortOnClientGone(res);
    const events = await this.auto.run(
      {
        sessionId: body.session_id,
        spec: body.refined_prompt,
        maxAttempts: body.max_attempts,
        sourceJobId: body.source_job_id ?? null,
      },
      client.signal,
    );
    await writeSse(res, events, client, this.logger);
  }
}
