import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import { ConcurrencyLimit } from '../../common/concurrency/fair-queue';
import { forkEntry } from '../../common/entry-points';
import { AppLogger } from '../../common/logging/app-logger.service';
import { storageConfig, uploadConfig } from '../../config/configuration';
import { columnIdent, DuckDbService, quoteIdent, quoteLiteral } from '../../duckdb/duckdb.service';
import { IngestedTable, IngestOptions, TableIngester } from '../table-ingester';
import { ColumnStore } from './column-inference';
import {
  checkXlsxArchive,
  MAX_XLSX_COMPRESSION_RATIO,
  MAX_XLSX_ENTRIES,
  RATIO_EXEMPT_BYTES,
} from './xlsx-archive';
import { XlsxParseReply, XlsxParseRequest, XlsxParseSuccess } from './xlsx-parse.messages';

const WORKER_BASENAME = 'xlsx-parse.worker';
const MS_PER_SECOND = 1000;
/** Exit code of a Node process that aborted (128 + SIGABRT), as some shells report it. */
const ABORT_EXIT_CODE = 134;
/** DuckDB's own default max_line_size for read_csv; longer rows raise it. */
const DEFAULT_MAX_LINE_BYTES = 2 * 1024 * 1024;

/** The type each stored type is read as from the worker's CSV, when it differs (see csvField). */
const CSV_READ_TYPE: Partial<Record<ColumnStore, string>> = {
  TIMESTAMP_NS: 'TIMESTAMP',
  INTERVAL: 'BIGINT',
};

/** The SELECT expression that turns a CSV column into its stored type. */
function storedExpression(store: ColumnStore, column: string): string {
  if (store === 'TIMESTAMP_NS') return `CAST(${column} AS TIMESTAMP_NS) AS ${column}`;
  if (store === 'INTERVAL') return `to_microseconds(${column}) AS ${column}`;
  return column;
}

/**
 * Starts the parse in a child process with its own heap limit. A child, not a worker
 * thread: V8 may abort the whole process when a worker thread reaches its heap limit
 * ("Reached heap limit", measured on a 2.8 MB workbook with 524 MB of shared strings), and a
 * child that dies is only a refused upload.
 */
function forkParse(maxHeapMb: number): ChildProcess {
  return forkEntry(__dirname, WORKER_BASENAME, {
    execArgv: [`--max-old-space-size=${maxHeapMb}`],
    // Nothing in the parse needs the environment, and it holds secrets (the API key).
    env: {},
    // Parser warnings and V8's out-of-memory report belong to no one.
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'advanced',
  });
}

/**
 * Loads an .xlsx sheet into DuckDB as pandas.read_excel (openpyxl) reads it. The archive
 * is checked first (ZIP bombs, files that are not workbooks); the sheet is then streamed
 * and parsed in a child process with its own heap limit and a deadline, so a slow, huge
 * or hostile workbook costs one refused upload, never the server's event loop, memory or
 * life. The child writes the rows as CSV in each column's final form and DuckDB reads that file.
 */
@Injectable()
export class XlsxIngester implements TableIngester {
  /** Each parse may take XLSX_PARSE_MAX_MEMORY_MB; more at once than configured wait their turn. */
  private readonly parseSlots: ConcurrencyLimit;

  constructor(
    @Inject(uploadConfig.KEY) private readonly cfg: ConfigType<typeof uploadConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly duckdb: DuckDbService,
    private readonly logger: AppLogger,
  ) {
    this.parseSlots = new ConcurrencyLimit(cfg.xlsxMaxConcurrentParses);
  }

  async ingest(filePath: string, table: string, options: IngestOptions): Promise<IngestedTable> {
    await checkXlsxArchive(filePath, {
      maxEntries: MAX_XLSX_ENTRIES,
      maxUncompressedBytes: this.cfg.xlsxMaxUncompressedBytes,
      maxCompressionRatio: MAX_XLSX_COMPRESSION_RATIO,
      ratioExemptBytes: RATIO_EXEMPT_BYTES,
    });
    await mkdir(this.storage.tempDir, { recursive: true });
    const base = join(this.storage.tempDir, `xlsx-${randomBytes(8).toString('hex')}`);
    const csvPath = `${base}.csv`;
    try {
      const started = performance.now();
      const parsed = await this.parseSlots.run(() =>
        this.parse({
          filePath,
          csvPath,
          sheet: options.sheet,
          header: options.header,
          ...this.tableCap(),
          maxSharedStringsBytes: this.cfg.xlsxMaxSharedStringsBytes,
        }),
      );
      const parsedAt = performance.now();
      await this.load(csvPath, table, parsed);
      this.logger.log(
        {
          msg: 'xlsx loaded',
          rows: parsed.rowCount,
          columns: parsed.columns.length,
          parse_ms: Math.round(parsedAt - started),
          load_ms: Math.round(performance.now() - parsedAt),
          ...parsed.timings,
        },
        'XlsxIngester',
      );
      const renamedColumns = Object.create(null) as Record<string, string>;
      for (const [original, name] of parsed.renamed) renamedColumns[original] = name;
      return {
        columns: parsed.columns.map(({ name, dtype }) => ({ name, dtype })),
        rowCount: parsed.rowCount,
        renamedColumns,
        warnings: parsed.warnings,
        sheets: parsed.sheets,
        textBytes: parsed.textBytes,
      };
    } finally {
      await rm(csvPath, { force: true });
    }
  }

  /**
   * The cap on the table's text (shared strings expanded): XLSX_MAX_CELL_TEXT_MB, or
   * XLSX_MAX_UNCOMPRESSED_MB when that is lower; a small workbook whose cells all use one
   * long shared string is refused here rather than cached at a thousand times its size.
   */
  private tableCap(): { maxTableBytes: number; maxTableSetting: string } {
    const { xlsxMaxCellTextBytes: text, xlsxMaxUncompressedBytes: unpacked } = this.cfg;
    return text <= unpacked
      ? { maxTableBytes: text, maxTableSetting: 'XLSX_MAX_CELL_TEXT_MB' }
      : { maxTableBytes: unpacked, maxTableSetting: 'XLSX_MAX_UNCOMPRESSED_MB' };
  }

  private parse(request: XlsxParseRequest): Promise<XlsxParseSuccess> {
    const seconds = this.cfg.xlsxParseTimeoutMs / MS_PER_SECOND;
    const tooBig = (limit: string): UploadRejected =>
      new UploadRejected(
        `The workbook could not be read: it is too large or complex to parse ${limit}. ` +
          'Split it into smaller files or save the sheet as CSV.',
      );
    const outOfMemory = (): UploadRejected => {
      this.logger.warn({ msg: 'xlsx parse ran out of memory' }, 'XlsxIngester');
      return tooBig(
        `with ${this.cfg.xlsxParseMaxMemoryMb} MB of memory (XLSX_PARSE_MAX_MEMORY_MB)`,
      );
    };
    return new Promise<XlsxParseSuccess>((resolve, reject) => {
      const child = forkParse(this.cfg.xlsxParseMaxMemoryMb);
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        outcome();
        // Done or failed, the child has nothing left to do.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const deadline = setTimeout(() => {
        this.logger.warn(
          { msg: 'xlsx parse timed out', timeout_ms: this.cfg.xlsxParseTimeoutMs },
          'XlsxIngester',
        );
        settle(() => reject(tooBig(`within ${seconds} s (XLSX_PARSE_TIMEOUT_SECONDS)`)));
      }, this.cfg.xlsxParseTimeoutMs);

      child.once('message', (reply: XlsxParseReply) =>
        settle(() => this.handleReply(reply, resolve, reject, tooBig)),
      );
      child.once('error', (error) => settle(() => reject(error)));
      child.once('exit', (code, signal) => {
        // V8 aborts (SIGABRT) at its heap limit; the kernel's OOM killer sends SIGKILL.
        if (signal === 'SIGABRT' || signal === 'SIGKILL' || code === ABORT_EXIT_CODE)
          settle(() => reject(outOfMemory()));
        else
          settle(() =>
            reject(new Error(`xlsx parse process exited (${signal ?? code}) before replying`)),
          );
      });
      child.send(request);
    });
  }

  private handleReply(
    reply: XlsxParseReply,
    resolve: (parsed: XlsxParseSuccess) => void,
    reject: (error: Error) => void,
    tooBig: (limit: string) => UploadRejected,
  ): void {
    switch (reply.kind) {
      case 'parsed':
        return resolve(reply);
      case 'rejected':
        return reject(new UploadRejected(reply.message));
      case 'too-large':
        this.logger.warn({ msg: 'xlsx too large to parse', reason: reply.reason }, 'XlsxIngester');
        return reject(
          tooBig(`with ${this.cfg.xlsxParseMaxMemoryMb} MB of memory (XLSX_PARSE_MAX_MEMORY_MB)`),
        );
      case 'unreadable':
        this.logger.warn({ msg: 'xlsx unreadable', reason: reply.reason }, 'XlsxIngester');
        return reject(
          new UploadRejected(
            'The workbook could not be read: the file is damaged or is not a valid .xlsx workbook.',
          ),
        );
    }
  }

  /** Runs the load; DuckDB running out of memory (very wide sheets) is a refusal, not a failure. */
  private async cacheOrRefuse(parsed: XlsxParseSuccess, load: () => Promise<void>): Promise<void> {
    try {
      await load();
    } catch (error) {
      if (!(error instanceof Error) || !/Out of Memory/i.test(error.message)) throw error;
      this.logger.warn(
        { msg: 'xlsx load ran out of memory', reason: error.message },
        'XlsxIngester',
      );
      throw new UploadRejected(
        `The sheet is too large to cache: ${parsed.columns.length.toLocaleString('en-US')} columns ` +
          `by ${parsed.rowCount.toLocaleString('en-US')} rows. Remove unused columns or split it into smaller files.`,
      );
    }
  }

  /** Columns c0..c{n-1} by position, rows in file order (DuckDB keeps the CSV's order). */
  private async load(csvPath: string, table: string, parsed: XlsxParseSuccess): Promise<void> {
    const t = quoteIdent(table);
    const idents = parsed.columns.map((_, i) => columnIdent(i));
    if (parsed.rowCount === 0) {
      const defs = parsed.columns.map((c, i) => `${idents[i]} ${c.store}`);
      await this.cacheOrRefuse(parsed, () =>
        this.duckdb.run(`CREATE TABLE ${t} (${defs.join(', ')})`),
      );
      return;
    }
    const types = parsed.columns.map(
      (c, i) => `${quoteLiteral(idents[i])}: '${CSV_READ_TYPE[c.store] ?? c.store}'`,
    );
    const selected = parsed.columns.map((c, i) => storedExpression(c.store, idents[i]));
    const maxLineBytes = Math.max(DEFAULT_MAX_LINE_BYTES, parsed.maxLineBytes);
    await this.cacheOrRefuse(parsed, () =>
      this.duckdb.run(
        `CREATE TABLE ${t} AS SELECT ${selected.join(', ')} FROM read_csv(${quoteLiteral(csvPath)}, ` +
          `columns = {'n': 'BIGINT', ${types.join(', ')}}, header = false, auto_detect = false, ` +
          `delim = ',', quote = '"', escape = '"', new_line = '\\n', allow_quoted_nulls = false, ` +
          `null_padding = true, max_line_size = ${maxLineBytes})`,
      ),
    );
    const [{ n }] = await this.duckdb.queryJson(`SELECT count(*) AS n FROM ${t}`);
    if (Number(n) !== parsed.rowCount)
      throw new Error(`xlsx load: ${Number(n)} rows in DuckDB, ${parsed.rowCount} parsed`);
  }
}
