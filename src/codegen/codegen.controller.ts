import { Body, Controller, HttpCode, Post, Res, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { StreamSlotInterceptor } from '../auth/stream-slot.interceptor';
import { abortOnClientGone, ApiEventStream, writeSse } from '../common/http/sse';
import { AppLogger } from '../common/logging/app-logger.service';
import { CodegenService } from './codegen.service';
import { FixCodeDto } from './dto/fix-code.dto';
import { GenerateCodeDto } from './dto/generate-code.dto';

@ApiTags('codegen')
@Controller('codegen')
export class CodegenController {
  constructor(
    private readonly codegen: CodegenService,
    private readonly logger: AppLogger,
  ) {}

  @Post('generate')
  @HttpCode(200)
  @UseInterceptors(StreamSlotInterceptor)
  @ApiOperation({ summary: 'Write the transform(df) module for a specification, streamed' })
  @ApiEventStream('Python source; the joined chunks are plain Python with no Markdown fences.')
  async generate(@Body() body: GenerateCodeDto, @Res() res: Response): Promise<void> {
    const client = abortOnClientGone(res);
    const events = await this.codegen.generate(
      body.session_id,
      body.refined_prompt,
      client.signal,
      body.source_job_id ?? null,
    );
    await writeSse(res, events, client, this.logger);
  }

  @Post('fix')
  @HttpCode(200)
  @UseInterceptors(StreamSlotInterceptor)
  @ApiOperation({ summary: 'Repair a module that failed, given its error, streamed' })
  @ApiEventStream('The complete corrected module; the joined chunks are plain Python.')
  async fix(@Body() body: FixCodeDto, @Res() res: Response): Promise<void> {
    const client = abortOnClientGone(res);
    const events = await this.codegen.fix(
      body.session_id,
      body.broken_code,
      body.error_message,
      client.signal,
      body.source_job_id ?? null,
    );
    await writeSse(res, events, client, this.logger);
  }
}
