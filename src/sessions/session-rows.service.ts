import { DuckDBTypeId } from '@duckdb/node-api';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { previewConfig, sessionConfig } from '../config/configuration';
import { cutTextSql, sumSql, withinBytesSql } from '../duckdb/cell-cut';
import {
  columnIdent,
  DuckDbService,
  JsonRow,
  quoteIdent,
  toJsonRows,
} from '../duckdb/duckdb.service';
import { pandasColumn } from '../duckdb/pandas-columns';
import { RowsResponseDto } from './dto/rows-response.dto';
import { SessionsService } from './sessions.service';

/** What a non-text cell counts for in a page's byte budget (its JSON is at most this long). */
const OTHER_CELL_BYTES = 32;

/** Pages of a session's cached data, in file order. */
@Injectable()
export class SessionRowsService {
  constructor(
    @Inject(sessionConfig.KEY) private readonly cfg: ConfigType<typeof sessionConfig>,
    @Inject(previewConfig.KEY) private readonly preview: ConfigType<typeof previewConfig>,
    private readonly sessions: SessionsService,
    private readonly duckdb: DuckDbService,
  ) {}

  /**
   * Up to `limit` rows (capped at ROWS_PAGE_MAX_LIMIT) from `offset`, text cut as
   * `readTable` says. A page stops early, after one row at least, when its rows pass
   * ROWS_PAGE_MAX_BYTES; `limit` then says how many it holds.
   */
  async page(sessionId: string, offset: number, limit: number): Promise<RowsResponseDto> {
    const session = this.sessions.get(sessionId);
    const cappedLimit = Math.min(limit, this.cfg.rowsPageMaxLimit);
    const rows = await this.readTable(
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

  /**
   * Rows of any cached table (upload or job output) in file order, JSON-safe, as
   * null-prototype objects keyed by `schema.columns` (the table's columns are c0.. by
   * position, read as their dtypes say). Without `schema`, keys are the table's own names.
   * Text values longer than PREVIEW_MAX_CELL_CHARS are cut in SQL (see cell-cut.ts);
   * with `maxBytes`, rows stop once their text passes it (the first row is always given).
   */
  async readTable(
    table: string,
    offset: number,
    limit: number,
    schema?: { columns: readonly string[]; dtypes?: readonly string[] },
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<JsonRow[]> {
    const select = schema
      ? schema.columns
          .map((_, i) => `${pandasColumn(i, schema.dtypes?.[i] ?? '')} AS ${columnIdent(i)}`)
          .join(', ')
      : '*';
    const from = `FROM ${quoteIdent(table)}`;
    return this.duckdb.withConnection(async (conn) => {
      const probe = await conn.runAndReadAll(`SELECT ${select} ${from} LIMIT 0`);
      const names = probe.columnNames();
      const texts = probe.columnTypes().map((t) => t.typeId === DuckDBTypeId.VARCHAR);
      const cells = names.map((name, i) => {
        const c = quoteIdent(name);
        return texts[i] ? `${cutTextSql(c, this.preview.maxCellChars)} AS ${c}` : c;
      });
      const sizes = names.map((name, i) =>
        texts[i] ? `COALESCE(strlen(${quoteIdent(name)}), 0)` : `${OTHER_CELL_BYTES}`,
      );
      const cut =
        `SELECT ${cells.join(', ')}, __order FROM ` +
        `(SELECT ${select}, rowid AS __order ${from} ORDER BY rowid LIMIT $limit OFFSET $offset)`;
      const page = `SELECT *, ${sumSql(sizes)} AS __bytes FROM (${cut})`;
      const reader = await conn.runAndReadAll(
        withinBytesSql(page, names.map(quoteIdent), maxBytes, true),
        { limit, offset },
      );
      return schema ? toJsonRows(reader, [...schema.columns]) : toJsonRows(reader);
    });
  }
}
