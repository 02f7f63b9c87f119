import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UploadRejected } from '../../common/errors/domain-errors';
import { AppLogger } from '../../common/logging/app-logger.service';
import { storageConfig, uploadConfig } from '../../config/configuration';
import { DuckDbService, quoteIdent, quoteLiteral } from '../../duckdb/duckdb.service';
import { IngestedTable, TableIngester } from '../table-ingester';
import {
  checkXlsxArchive,
  MAX_XLSX_COMPRESSION_RATIO,
  MAX_XLSX_ENTRIES,
  RATIO_EXEMPT_BYTES,
} from './xlsx-archive';
import { XlsxParseReply, XlsxParseRequest, XlsxParseSuccess } from './xlsx-parse.messages';

const WORKER_BASENAME = 'xlsx-parse.worker';
const MS_PER_SECOND = 1000;
/** DuckDB's own default for read_json; rows longer than this raise it. */
const DEFAULT_MAX_JSON_OBJECT_BYTES = 16 * 1024 * 1024;

/**
 * The compiled worker (dist) runs as is; from TypeScript sources (ts-jest, ts-node) a
 * .ts file cannot be a worker entry, so a one-line shim registers ts-node first.
 */
function createParseWorker(request: XlsxParseRequest, maxHeapMb: number): Worker {
  const options = {
    workerData: request,
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    // Nothing in the parse needs the environment, and it holds secrets (the API key).
    env: {},
    // SheetJS prints warnings for odd files; they belong to no one.
    stdout: true,
    stderr: true,
  };
  const compiled = join(__dirname, `${WORKER_BASENAME}.js`);
  if (existsSync(compiled)) return new Worker(compiled, options);
  const source = join(__dirname, `${WORKER_BASENAME}.ts`);
  const shim =
    `require(${JSON.stringify(require.resolve('ts-node'))})` +
    `.register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(__dirname)} });\n` +
    `require(${JSON.stringify(source)});`;
  return new Worker(shim, { ...options, eval: true });
}

/**
 * Loads an .xlsx sheet into DuckDB. The archive is checked first (ZIP bombs, files that
 * are not workbooks); SheetJS then parses it in a worker thread with its own heap limit
 * and a deadline, so a slow, huge or hostile workbook (CVE-2023-30533 prototype
 * pollution, CVE-2024-22363 ReDoS) costs one worker, never the server's event loop or
 * realm. The worker writes the rows as NDJSON and DuckDB reads that file.
 */
@Injectable()
export class XlsxIngester implements TableIngester {
  private activeParses = 0;
  private readonly waitingParses: (() => void)[] = [];

  constructor(
    @Inject(uploadConfig.KEY) private readonly cfg: ConfigType<typeof uploadConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly duckdb: DuckDbService,
    private readonly logger: AppLogger,
  ) {}

  async ingest(
    filePath: string,
    table: string,
    options: { sheet?: string },
  ): Promise<IngestedTable> {
    await checkXlsxArchive(filePath, {
      maxEntries: MAX_XLSX_ENTRIES,
      maxUncompressedBytes: this.cfg.xlsxMaxUncompressedBytes,
      maxCompressionRatio: MAX_XLSX_COMPRESSION_RATIO,
      ratioExemptBytes: RATIO_EXEMPT_BYTES,
    });
    await mkdir(this.storage.tempDir, { recursive: true });
    const outPath = join(
      this.storage.tempDir,
      `xlsx-rows-${randomBytes(8).toString('hex')}.ndjson`,
    );
    try {
      const parsed = await this.withParseSlot(() =>
        this.parse({ filePath, outPath, sheet: options.sheet }),
      );
      await this.load(outPath, table, parsed);
      return { header: parsed.header, sheets: parsed.sheets, hasHeader: true };
    } finally {
      await rm(outPath, { force: true });
    }
  }

  /** Each parse may take XLSX_PARSE_MAX_MEMORY_MB; more at once than configured wait their turn. */
  private async withParseSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.activeParses < this.cfg.xlsxMaxConcurrentParses) this.activeParses++;
    else await new Promise<void>((resolve) => this.waitingParses.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so the count only drops when none waits.
      const next = this.waitingParses.shift();
      if (next) next();
      else this.activeParses--;
    }
  }

  private parse(request: XlsxParseRequest): Promise<XlsxParseSuccess> {
    const seconds = this.cfg.xlsxParseTimeoutMs / MS_PER_SECOND;
    const tooBig = (limit: string): UploadRejected =>
      new UploadRejected(
        `The workbook could not be read: it is too large or complex to parse ${limit}. ` +
          'Split it into smaller files or save the sheet as CSV.',
      );
    return new Promise<XlsxParseSuccess>((resolve, reject) => {
      const worker = createParseWorker(request, this.cfg.xlsxParseMaxMemoryMb);
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        outcome();
        // Done or failed, the worker has nothing left to do; terminate() is a no-op once it exited.
        void worker.terminate();
      };
      const deadline = setTimeout(() => {
        this.logger.warn(
          { msg: 'xlsx parse timed out', timeout_ms: this.cfg.xlsxParseTimeoutMs },
          'XlsxIngester',
        );
        settle(() => reject(tooBig(`within ${seconds} s`)));
      }, this.cfg.xlsxParseTimeoutMs);

      worker.stdout.resume();
      worker.stderr.resume();
      worker.once('message', (reply: XlsxParseReply) =>
        settle(() => this.handleReply(reply, resolve, reject, tooBig)),
      );
      worker.once('error', (error: Error & { code?: string }) => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          this.logger.warn({ msg: 'xlsx parse ran out of memory' }, 'XlsxIngester');
          settle(() => reject(tooBig(`with ${this.cfg.xlsxParseMaxMemoryMb} MB of memory`)));
        } else {
          settle(() => reject(error));
        }
      });
      worker.once('exit', (code) => {
        settle(() =>
          reject(new Error(`xlsx parse worker exited with code ${code} before replying`)),
        );
      });
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
        return reject(tooBig(`with ${this.cfg.xlsxParseMaxMemoryMb} MB of memory`));
      case 'unreadable':
        this.logger.warn({ msg: 'xlsx unreadable', reason: reply.reason }, 'XlsxIngester');
        return reject(
          new UploadRejected(
            'The workbook could not be read: the file is damaged or is not a valid .xlsx workbook.',
          ),
        );
    }
  }

  /** Columns c0..cN in sheet order; `n` (the row ordinal) keeps file order explicit. */
  private async load(ndjsonPath: string, table: string, parsed: XlsxParseSuccess): Promise<void> {
    const columns = parsed.types.map((type, i) => `c${i}: '${type}'`);
    const selected = parsed.types.map((_, i) => `c${i}`);
    const maxObjectBytes = Math.max(DEFAULT_MAX_JSON_OBJECT_BYTES, parsed.maxLineBytes);
    await this.duckdb.run(
      `CREATE TABLE ${quoteIdent(table)} AS SELECT ${selected.join(', ')} ` +
        `FROM read_json(${quoteLiteral(ndjsonPath)}, format = 'newline_delimited', ` +
        `columns = {n: 'BIGINT', ${columns.join(', ')}}, maximum_object_size = ${maxObjectBytes}) ORDER BY n`,
    );
  }
}
