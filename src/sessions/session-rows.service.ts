import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { sessionConfig } from '../config/configuration';
import { DuckDbService, JsonRow, quoteIdent, toJsonRows } from '../duckdb/duckdb.service';
import { pandasColumn } from '../duckdb/pandas-columns';
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
    const rows = await this.readTable(session.table, offset, cappedLimit, session.dataset);
    return { rows, offset, limit: cappedLimit, total: session.dataset.rowCount };
  }

  /**
   * Rows of any cached table (upload or job output) in file order, JSON-safe, as
   * null-prototype objects keyed by `schema.columns` (the table's columns are c0.. by
   * position, read as their dtypes say). Without `schema`, keys are the table's own names.
   */
  async readTable(
    table: string,
    offset: number,
    limit: number,
    schema?: { columns: readonly string[]; dtypes?: readonly string[] },
  ): Promise<JsonRow[]> {
    const select = schema
      ? schema.columns.map((_, i) => pandasColumn(i, schema.dtypes?.[i] ?? '')).join(', ')
      : '*';
    return this.duckdb.withConnection(async (conn) => {
      const reader = await conn.runAndReadAll(
        `SELECT ${select} FROM ${quoteIdent(table)} ORDER BY rowid LIMIT $limit OFFSET $offset`,
        { limit, offset },
      );
      return schema ? toJsonRows(reader, [...schema.columns]) : toJsonRows(reader);
    });
  }
}
