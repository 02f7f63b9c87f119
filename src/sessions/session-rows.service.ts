import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { previewConfig, sessionConfig } from '../config/configuration';
import { CachedTableRepository } from '../duckdb/cached-table.repository';
import { RowsResponseDto } from './dto/rows-response.dto';
import { SessionsService } from './sessions.service';

/** Pages of a session's cached data, in file order. */
@Injectable()
export class SessionRowsService {
  constructor(
    @Inject(sessionConfig.KEY) private readonly cfg: ConfigType<typeof sessionConfig>,
    @Inject(previewConfig.KEY) private readonly preview: ConfigType<typeof previewConfig>,
    private readonly sessions: SessionsService,
    private readonly tables: CachedTableRepository,
  ) {}

  /**
   * Up to `limit` rows (capped at ROWS_PAGE_MAX_LIMIT) from `offset`, text cut as
   * CachedTableRepository.page says. A page stops early, after one row at least, when its
   * rows pass ROWS_PAGE_MAX_BYTES; `limit` then says how many it holds.
   */
  async page(sessionId: string, offset: number, limit: number): Promise<RowsResponseDto> {
    const session = await this.sessions.get(sessionId);
    const cappedLimit = Math.min(limit, this.cfg.rowsPageMaxLimit);
    const rows = await this.tables.page(
      session.table,
      offset,
      cappedLimit,
      session.dataset,
      this.preview.rowsPageMaxBytes,
    );
    const total = session.dataset.rowCount;
    const short = rows.length < cappedLimit && offset + rows.length < total;
    return { rows, offset, limit: short ? rows.length : cappedLimit, total };
  }
}
