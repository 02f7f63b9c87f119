import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as XLSX from 'xlsx';
import { BadRequest, OutputNotAvailable } from '../common/errors/domain-errors';
import { storageConfig } from '../config/configuration';
import { DuckDbService, quoteIdent, quoteLiteral, toJsonRows } from '../duckdb/duckdb.service';
import { ExecutionService } from './execution.service';

export const OUTPUT_FORMATS = ['csv', 'parquet', 'xlsx', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const CONTENT_TYPES: Record<OutputFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
};
/** Spreadsheet limits: rows per sheet (one is the header) and characters per cell. */
const XLSX_MAX_ROWS = 1_048_575;
const XLSX_MAX_CELL_CHARS = 32_767;

export interface OutputDownload {
  stream: Readable;
  contentType: string;
  filename: string;
}

function isFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** Step 5: a successful job's output as a file, written by DuckDB and streamed. */
@Injectable()
export class OutputExportService {
  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly executions: ExecutionService,
    private readonly duckdb: DuckDbService,
  ) {}

  async download(sessionId: string, jobId: string, format = 'csv'): Promise<OutputDownload> {
    const job = this.executions.get(sessionId, jobId);
    const wanted = format.toLowerCase();
    if (!isFormat(wanted)) {
      throw new BadRequest(
        `Unknown format '${format.slice(0, 20)}'; use one of: ${OUTPUT_FORMATS.join(', ')}`,
      );
    }
    if (job.status !== 'success' || !job.outputTable)
      throw new OutputNotAvailable(jobId, job.status);
    if (wanted === 'xlsx' && (job.outputRowCount ?? 0) > XLSX_MAX_ROWS) {
      throw new BadRequest(
        `The output has more rows than a spreadsheet holds (${XLSX_MAX_ROWS}); use csv or parquet`,
      );
    }
    const stream =
      wanted === 'xlsx'
        ? await this.xlsx(job.outputTable)
        : await this.copy(job.outputTable, wanted);
    return {
      stream,
      contentType: CONTENT_TYPES[wanted],
      filename: `output_${job.id.slice(0, 8)}.${wanted}`,
    };
  }

  /** DuckDB writes the file (COPY ... TO), which is streamed and then removed. */
  private async copy(table: string, format: Exclude<OutputFormat, 'xlsx'>): Promise<Readable> {
    const dir = join(this.storage.tempDir, 'exports');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${table}-${randomBytes(6).toString('hex')}.${format}`);
    const options = {
      csv: 'FORMAT csv, HEADER true',
      parquet: 'FORMAT parquet',
      json: 'FORMAT json, ARRAY true',
    }[format];
    try {
      const select = format === 'json' ? await this.jsonSafeSelect(table) : '*';
      await this.duckdb.run(
        `COPY (SELECT ${select} FROM ${quoteIdent(table)} ORDER BY rowid) TO ${quoteLiteral(file)} (${options})`,
      );
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    const stream = createReadStream(file);
    stream.on('close', () => void rm(file, { force: true }));
    return stream;
  }

  /** JSON has no NaN or Infinity, and timestamps read best as ISO 8601, as in the preview. */
  private async jsonSafeSelect(table: string): Promise<string> {
    const columns = await this.duckdb.queryJson(
      `SELECT column_name, column_type FROM (DESCRIBE ${quoteIdent(table)})`,
    );
    return columns
      .map(({ column_name, column_type }) => {
        const c = quoteIdent(column_name as string);
        const type = column_type as string;
        if (type === 'DOUBLE') return `CASE WHEN isfinite(${c}) THEN ${c} END AS ${c}`;
        if (type.startsWith('TIMESTAMP')) return `replace(CAST(${c} AS VARCHAR), ' ', 'T') AS ${c}`;
        return c;
      })
      .join(', ');
  }

  private async xlsx(table: string): Promise<Readable> {
    const rows = await this.duckdb.withConnection(async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT * FROM ${quoteIdent(table)} ORDER BY rowid`);
      const names = reader.columnNames();
      return [names, ...toJsonRows(reader).map((row) => names.map((n) => row[n]))];
    });
    const cells = rows.map((row) =>
      row.map((v) =>
        typeof v === 'string' && v.length > XLSX_MAX_CELL_CHARS
          ? v.slice(0, XLSX_MAX_CELL_CHARS)
          : v,
      ),
    );
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(cells), 'output');
    return Readable.from([XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer]);
  }
}
