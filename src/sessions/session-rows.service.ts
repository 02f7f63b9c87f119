import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { sessionConfig } from '../config/configuration';
import { DuckDbService, JsonRow, quoteIdent } from '../duckdb/duckdb.service';
import { RowsResponseDto } from './dto/rows-response.dto';
import { SessionsService } from './sessions.service';

/** Pages of a session's cached data, in file order. */
@Injectable()
export class SessionRowsService {
  constructor(
    @Inject(sessionConfig.KEY) private readonly cfg: ConfigType<typeof sessionConfig>,
    private readonly sessions: SessionsService,
    private readonly duckdb: DuckDbService,
  ) {}

  async page(sessionId: string, offset: number, limit: number): Promise<RowsResponseDto> {
    const session = this.sessions.get(sessionId);
    const cappedLimit = Math.min(limit, this.cfg.rowsPageMaxLimit);
    const rows = await this.readTable(session.table, offset, cappedLimit);
    return { rows, offset, limit: cappedLimit, total: session.dataset.rowCount };
  }

  /** Rows of any cached table (upload or job output) in order, JSON-safe. */
  readTable(table: string, offset: number, limit: number): Promise<JsonRow[]> {
    return this.duckdb.queryJson(
      `SELECT * FROM ${quoteIdent(table)} ORDER BY rowid LIMIT $limit OFFSET $offset`,
      { limit, offset },
    );
  }
}
