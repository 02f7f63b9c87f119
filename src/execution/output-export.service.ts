import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  OutputNotAvailable,
  SessionNotFound,
  UnusableRequest,
} from '../common/errors/domain-errors';
import { processScopedName } from '../common/process-scoped-dir';
import { downloadConfig, storageConfig } from '../config/configuration';
import { columnIdent, DuckDbService, quoteIdent, quoteLiteral } from '../duckdb/duckdb.service';
import { SessionsService } from '../sessions/sessions.service';
import { ExecutionService } from './execution.service';
import {
  csvCell,
  csvQuote,
  jsonValue,
  OutputColumn,
  parquetValue,
  xlsxValue,
} from './output-columns';
import { OutputStore, XLSX_MAX_CELL_CHARS } from './output-store.service';
import { renamedParquet } from '../table-transfer/parquet-footer';
import { writeXlsx } from './xlsx-export';

/** Folder in TEMP_DIR for the files being downloaded (each lives as long as its download). */
export const EXPORTS_DIR = 'exports';

export const OUTPUT_FORMATS = ['csv', 'parquet', 'xlsx', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const CONTENT_TYPES: Record<OutputFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
};
/** Spreadsheet limit: rows per sheet (one is the header). */
const XLSX_MAX_ROWS = 1_048_575;
/** Why a download under way is cut off (its stream errors; the response is aborted). */
const SESSION_ENDED = 'the session ended during the download';
/** Arguments per concat() call when a JSON row is assembled in SQL. */
const CONCAT_ARGS = 100;

export interface DownloadOptions {
  /** CSV: prefix formula-like text cells with `'`; absent: DOWNLOAD_ESCAPE_FORMULAS. */
  escapeFormulas?: boolean;
}

export interface OutputDownload {
  stream: Readable;
  contentType: string;
  filename: string;
}

interface StoredJob {
  table: string;
  columns: OutputColumn[];
  rows: number;
}

function isFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** concat() over many arguments, nested so that no call gets too many. */
function concatAll(parts: string[]): string {
  if (parts.length === 0) return "''";
  if (parts.length <= CONCAT_ARGS) return `concat(${parts.join(', ')})`;
  const groups: string[] = [];
  for (let i = 0; i < parts.length; i += CONCAT_ARGS)
    groups.push(concatAll(parts.slice(i, i + CONCAT_ARGS)));
  return concatAll(groups);
}

/**
 * `head`, then the file's bytes up to `end` (inclusive), then `tail`. The file is removed
 * when the stream closes: read to the end, or destroyed (client gone, session ended).
 */
function streamFile(file: string, head: Buffer, end?: number, tail?: Buffer): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (end === undefined || end >= 0) yield* createReadStream(file, { end });
    if (tail) yield tail;
  }
  const stream = Readable.from(parts(), { objectMode: false });
  stream.once('close', () => void rm(file, { force: true }));
  return stream;
}

/**
 * Step 5: a successful job's output as a file. DuckDB writes each format from the stored
 * columns (`c0`, `c1`, ...) with the SQL of output-columns.ts; the real names are applied
 * outside SQL: a header line we write (CSV), name literals (JSON), the Parquet footer
 * rewritten (parquet-footer.ts), header cells (XLSX). So any name survives, `''` and names
 * differing only by case included.
 */
@Injectable()
export class OutputExportService {
  /** Downloads under way per session: ending the session ends them (and removes their files). */
  private readonly open = new Map<string, Set<Readable>>();

  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(downloadConfig.KEY) private readonly downloads: ConfigType<typeof downloadConfig>,
    private readonly executions: ExecutionService,
    private readonly duckdb: DuckDbService,
    private readonly sessions: SessionsService,
    private readonly outputs: OutputStore,
  ) {
    sessions.onSessionEnd((session) => {
      for (const stream of this.open.get(session.id) ?? [])
        stream.destroy(new Error(SESSION_ENDED));
      this.open.delete(session.id);
    });
  }

  async download(
    sessionId: string,
    jobId: string,
    format = 'csv',
    options: DownloadOptions = {},
  ): Promise<OutputDownload> {
    const job = await this.executions.get(sessionId, jobId);
    const wanted = format.toLowerCase();
    if (!isFormat(wanted)) {
      throw new UnusableRequest(
        `Unknown format '${format.slice(0, 20)}'; use one of: ${OUTPUT_FORMATS.join(', ')}`,
      );
    }
    if (job.status !== 'success' || !job.outputTable)
      throw new OutputNotAvailable(jobId, job.status);
    // The output may have been stored by another process, or before a restart.
    const session = await this.sessions.get(sessionId);
    await this.outputs.attach(job.outputTable, job.outputSchema, session.dir);
    if (wanted === 'xlsx' && (job.outputRowCount ?? 0) > XLSX_MAX_ROWS) {
      throw new UnusableRequest(
        `The output has more rows than a spreadsheet holds (${XLSX_MAX_ROWS}); use csv or parquet`,
      );
    }
    const stored: StoredJob = {
      table: job.outputTable,
      columns: job.outputSchema,
      rows: job.outputRowCount ?? 0,
    };
    const stream = await {
      csv: () => this.csv(stored, options.escapeFormulas ?? this.downloads.escapeFormulas),
      json: () => this.json(stored),
      parquet: () => this.parquet(stored),
      xlsx: () => this.xlsx(stored),
    }[wanted]();
    await this.track(sessionId, stream);
    return {
      stream,
      contentType: CONTENT_TYPES[wanted],
      filename: `output_${job.id.slice(0, 8)}.${wanted}`,
    };
  }

  private async track(sessionId: string, stream: Readable): Promise<void> {
    if (!(await this.sessions.has(sessionId))) {
      // The session ended while its file was being written.
      stream.destroy();
      throw new SessionNotFound(sessionId);
    }
    let streams = this.open.get(sessionId);
    if (!streams) this.open.set(sessionId, (streams = new Set()));
    streams.add(stream);
    stream.once('close', () => {
      streams.delete(stream);
      if (streams.size === 0 && this.open.get(sessionId) === streams) this.open.delete(sessionId);
    });
  }

  /** DuckDB writes the rows of `select` (no header, no quoting of its own) to a fresh file. */
  private async copy(table: string, select: string[], options: string): Promise<string> {
    const dir = join(this.storage.tempDir, EXPORTS_DIR);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Named for this process, so the start-up sweep knows a crashed download's leftover.
    const file = join(dir, processScopedName('', `${table}-${randomBytes(6).toString('hex')}`));
    try {
      await this.duckdb.run(
        `COPY (SELECT ${select.join(', ')} FROM ${quoteIdent(table)} ORDER BY rowid) TO ${quoteLiteral(file)} (${options})`,
      );
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return file;
  }

  /** As `out.to_csv(index=False)` writes it; the cells are quoted in SQL (csvCell). */
  private async csv({ table, columns }: StoredJob, escapeFormulas: boolean): Promise<Readable> {
    const single = columns.length === 1;
    // pandas writes a row whose only field is empty as "", or the row would read as blank.
    const cells = columns.map((c, i) => {
      const cell = csvCell(c, columnIdent(i), escapeFormulas);
      return single ? `COALESCE(NULLIF(${cell}, ''), '""')` : cell;
    });
    const header = columns.map((c) => csvQuote(c.name, escapeFormulas)).join(',');
    const file = await this.copy(table, cells, "FORMAT csv, HEADER false, QUOTE '', ESCAPE ''");
    const line = single && header === '' ? '""' : header;
    return streamFile(file, Buffer.from(`${line}\n`, 'utf8'));
  }

  /** An array of objects, one a row, each assembled in SQL from literal keys and JSON values. */
  private async json({ table, columns, rows }: StoredJob): Promise<Readable> {
    const parts = columns.flatMap((c, i) => [
      quoteLiteral(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`),
      jsonValue(c, columnIdent(i)),
    ]);
    parts.push(`CASE WHEN rowid < ${rows - 1} THEN '},' ELSE '}' END`);
    const file = await this.copy(
      table,
      [concatAll(parts)],
      "FORMAT csv, HEADER false, QUOTE '', ESCAPE ''",
    );
    return streamFile(file, Buffer.from('[\n'), undefined, Buffer.from(']\n'));
  }

  /** DuckDB writes the data; the footer is rewritten with the real names and exact types. */
  private async parquet({ table, columns }: StoredJob): Promise<Readable> {
    const values = columns.map((c, i) => parquetValue(c, columnIdent(i)));
    const file = await this.copy(
      table,
      values.map((v, i) => `${v.sql} AS ${columnIdent(i)}`),
      'FORMAT parquet',
    );
    try {
      const { dataBytes, tail } = await renamedParquet(file, {
        names: columns.map((c) => c.name),
        logical: values.map((v) => v.logical),
      });
      return streamFile(file, Buffer.alloc(0), dataBytes - 1, tail);
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  }

  /**
   * Typed cells: numbers (dates and times with their number format), booleans, text.
   * DuckDB writes the cells' values, a worker thread the workbook (xlsx-export.ts).
   */
  private async xlsx({ table, columns, rows }: StoredJob): Promise<Readable> {
    const plans = columns.map((c, i) => xlsxValue(c, columnIdent(i)));
    const select: string[] = [];
    const slots = plans.map((plan) => {
      const slot = (sql: string | undefined): number =>
        sql ? select.push(`${sql} AS v${select.length}`) - 1 : -1;
      return {
        number: slot(plan.number),
        text: slot(plan.text),
        bool: slot(plan.bool),
        format: plan.format,
      };
    });
    const values = await this.copy(table, select, 'FORMAT parquet');
    const file = `${values}.xlsx`;
    try {
      await writeXlsx({
        parquetFile: values,
        outFile: file,
        names: columns.map((c) => c.name),
        formats: slots.map((s) => (s.number >= 0 ? s.format : undefined)),
        slots,
        rows,
        maxCellChars: XLSX_MAX_CELL_CHARS,
      });
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    } finally {
      await rm(values, { force: true });
    }
    return streamFile(file, Buffer.alloc(0));
  }
}
