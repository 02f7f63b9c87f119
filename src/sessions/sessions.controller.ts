import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RowsQueryDto } from './dto/rows-query.dto';
import { RowsResponseDto } from './dto/rows-response.dto';
import { SessionResponseDto } from './dto/session-response.dto';
import { SessionRowsService } from './session-rows.service';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiNotFoundResponse({ description: 'Unknown or expired session' })
@Controller('sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly rows: SessionRowsService,
  ) {}

  @Get(':session_id')
  @ApiOkResponse({ type: SessionResponseDto })
  async get(@Param('session_id') sessionId: string): Promise<SessionResponseDto> {
    const session = await this.sessions.get(sessionId);
    return SessionResponseDto.from(session, await this.sessions.jobsOf(sessionId));
  }

  @Get(':session_id/rows')
  @ApiOkResponse({ type: RowsResponseDto })
  page(
    @Param('session_id') sessionId: string,
    @Query() query: RowsQueryDto,
  ): Promise<RowsResponseDto> {
    return this.rows.page(sessionId, query.offset, query.limit);
  }

  @Delete(':session_id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Session, its data and its jobs are gone' })
  async delete(@Param('session_id') sessionId: string): Promise<void> {
    await this.sessions.delete(sessionId);
  }
}
