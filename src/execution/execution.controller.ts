import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ExecuteRequestDto } from './dto/execute-request.dto';
import { ExecuteResponseDto } from './dto/execute-response.dto';
import { ExecutionResultDto } from './dto/execution-result.dto';
import { OutputQueryDto } from './dto/output-query.dto';
import { ExecutionService } from './execution.service';
import { OutputExportService } from './output-export.service';

@ApiTags('execution')
@Controller('execute')
export class ExecutionController {
  constructor(
    private readonly executions: ExecutionService,
    private readonly exports: OutputExportService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: ExecuteResponseDto, description: 'Queued; poll the job for its outcome' })
  @ApiBadRequestResponse({
    description: 'The code failed the static check; detail names each violation',
  })
  @ApiNotFoundResponse({
    description:
      'Unknown or expired session; source_job_id unknown, of another session, or not success',
  })
  @ApiUnprocessableEntityResponse({ description: 'Body validation failed' })
  @ApiServiceUnavailableResponse({
    description: 'Queue full, shutting down, or execution disabled',
  })
  async submit(@Body() body: ExecuteRequestDto): Promise<ExecuteResponseDto> {
    return {
      job_id: await this.executions.submit(body.session_id, body.code, body.source_job_id ?? null),
    };
  }

  @Get(':session_id/:job_id')
  @ApiOkResponse({ type: ExecutionResultDto })
  @ApiNotFoundResponse({ description: 'Unknown session or job' })
  async result(
    @Param('session_id') sessionId: string,
    @Param('job_id') jobId: string,
  ): Promise<ExecutionResultDto> {
    return ExecutionResultDto.from(await this.executions.get(sessionId, jobId));
  }

  @Get(':session_id/:job_id/output')
  @ApiProduces(
    'text/csv',
    'application/vnd.apache.parquet',
    'application/json',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  )
  @ApiOkResponse({
    description: 'The output file, as an attachment named output_<first 8 of job_id>.<ext>',
  })
  @ApiBadRequestResponse({ description: 'Unknown format' })
  @ApiNotFoundResponse({
    description: 'Unknown session or job, or the job has no output (not success)',
  })
  async output(
    @Param('session_id') sessionId: string,
    @Param('job_id') jobId: string,
    @Query() query: OutputQueryDto,
  ): Promise<StreamableFile> {
    const file = await this.exports.download(sessionId, jobId, query.format, {
      escapeFormulas:
        query.escape_formulas === undefined ? undefined : query.escape_formulas === 'true',
    });
    return new StreamableFile(file.stream, {
      type: file.contentType,
      disposition: `attachment; filename="${file.filename}"`,
    }).setErrorHandler((_error, res) => {
      // A download cut off (session ended, file unreadable) must not look complete: abort it.
      if (res.destroyed) return;
      if (res.headersSent) {
        if (res.destroy) res.destroy();
        else res.end();
        return;
      }
      res.statusCode = 500;
      res.send(JSON.stringify({ detail: 'The download could not be completed' }));
    });
  }
}
