import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { UploadRejected } from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { queueConfig, storageConfig, uploadConfig } from '../config/configuration';
import { CachedTableRepository } from '../duckdb/cached-table.repository';
import { Metrics } from '../metrics/metrics.service';
import { DatasetInfo, Session, sessionTableFile, sessionTableName } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { cachedTableSizeSql, StorageBudget } from '../storage/storage-budget.service';
import { columnIdent, DuckDbService, quoteIdent } from '../duckdb/duckdb.service';
import { CsvIngester } from './csv/csv-ingester';
import { IngestOptions, TableIngester } from './table-ingester';
import { extensionRejected } from './upload-errors';
import { XlsxIngester } from './xlsx/xlsx-ingester';

export interface UploadedFile {
  path: string;
  originalname: string;
  size: number;
}

const MAX_FILENAME_LENGTH = 255;

export interface UploadResult {
  session: Session;
  /** Time from the file being on disk to the session being ready (Server-Timing). */
  ingestMs: number;
}

/**
 * Step 1: an uploaded file becomes a session: its rows loaded by DuckDB, kept as a Parquet
 * file in the session's folder (CachedTableRepository.persist). Embedded, the file is written
 * after the answer and the in-memory table stays as this process's cache; distributed, it is
 * written first and replaces the table, since any node may read the session next.
 */
@Injectable()
export class UploadService implements BeforeApplicationShutdown {
  private readonly ingesters: Record<string, TableIngester>;
  /** Parquet files being written after their upload answered (embedded), by session. */
  private readonly persisting = new Map<string, Promise<void>>();

  constructor(
    @Inject(uploadConfig.KEY) private readonly cfg: ConfigType<typeof uploadConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(queueConfig.KEY) private readonly queue: ConfigType<typeof queueConfig>,
    private readonly sessions: SessionsService,
    private readonly tables: CachedTableRepository,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
    private readonly budget: StorageBudget,
    private readonly duckdb: DuckDbService,
    csv: CsvIngester,
    xlsx: XlsxIngester,
  ) {
    this.ingesters = { '.csv': csv, '.tsv': csv, '.txt': csv, '.xlsx': xlsx };
  }

  /** `owner`: the uploading client's key (src/auth/client-key.ts), recorded on the session. */
  async upload(
    file: UploadedFile | undefined,
    options: Partial<IngestOptions>,
    owner: string,
  ): Promise<UploadResult> {
    if (!file)
      throw new UploadRejected("No file was uploaded: send it as the multipart form field 'file'");
    try {
      const filename = cleanFilename(file.originalname);
      const extension = extname(filename).toLowerCase();
      const ingester = this.ingesters[extension];
      if (!this.cfg.allowedExtensions.includes(extension) || !ingester) {
        throw extensionRejected(extension, this.cfg.allowedExtensions);
      }
      if (file.size === 0) throw new UploadRejected('The file is empty');
      return await this.createSession(file, filename, extension, ingester, owner, {
        sheet: options.sheet || undefined,
        header: options.header ?? true,
      });
    } finally {
      await rm(file.path, { force: true });
    }
  }

  private async createSession(
    file: UploadedFile,
    filename: string,
    extension: string,
    ingester: TableIngester,
    owner: string,
    options: IngestOptions,
  ): Promise<UploadResult> {
    const id = this.sessions.newId();
    const dir = join(this.storage.inboundDir, id);
    const table = sessionTableName(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const path = join(dir, `upload${extension}`);
      await rename(file.path, path);
      const started = performance.now();
      const ingested = await ingester.ingest(path, table, options);
      if (ingested.columns.length === 0) throw new UploadRejected('The file has no columns');
      const columns = ingested.columns.map((c) => c.name);
      const warnings = [...ingested.warnings];
      const renamed = Object.keys(ingested.renamedColumns);
      if (renamed.length > 0) {
        warnings.push(
          `${renamed.length} column name${renamed.length === 1 ? ' was' : 's were'} empty or ` +
            'repeated and named as pandas names them (see renamed_columns).',
        );
      }
      const cachedTableBytes = await this.cachedTableBytes(table, ingested.columns);
      await this.budget.assertSessionFits(file.size, cachedTableBytes);
      const distributed = this.queue.redisUrl !== null;
      if (distributed) await this.tables.persist(table, sessionTableFile({ dir }));
      const dataset: DatasetInfo = {
        filename,
        fileSizeBytes: file.size,
        rowCount: ingested.rowCount,
        columns,
        dtypes: ingested.columns.map((c) => c.dtype),
        ...(ingested.sheets ? { sheets: ingested.sheets } : {}),
        ...(renamed.length > 0 ? { renamedColumns: ingested.renamedColumns } : {}),
        warnings,
        cachedTableBytes,
      };
      const ingestMs = Math.round(performance.now() - started);
      this.logger.log(
        {
          msg: 'upload cached',
          session_id: id,
          rows: dataset.rowCount,
          columns: columns.length,
          text_bytes: ingested.textBytes,
          cached_table_bytes: cachedTableBytes,
          ms: ingestMs,
        },
        'UploadService',
      );
      this.metrics.uploadIngested(extension, file.size, dataset.rowCount);
      const session = await this.sessions.create(id, dataset, table, dir, owner);
      if (!distributed) this.persistLater(session);
      return { session, ingestMs };
    } catch (error) {
      await this.tables.drop(table).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A stop waits for the files under way, so the sessions they belong to survive it. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.persisting.values());
  }

  /**
   * Writes the session's rows to its folder after the upload answered (embedded shape); a
   * session whose file is missing at the next start is ended then (SessionsService).
   */
  private persistLater(session: Session): void {
    const started = performance.now();
    const done = this.tables
      .persist(session.table, sessionTableFile(session), false)
      .then(
        () =>
          this.logger.log(
            {
              msg: 'upload persisted',
              session_id: session.id,
              ms: Math.round(performance.now() - started),
            },
            'UploadService',
          ),
        async (error: unknown) => {
          // Ended meanwhile (its folder went): nothing to keep.
          if (await this.sessions.has(session.id))
            this.logger.error(error, { session_id: session.id }, 'UploadService');
        },
      )
      .finally(() => this.persisting.delete(session.id));
    this.persisting.set(session.id, done);
  }

  /** The session's input cache size, measured on its cached table (see cachedTableSizeSql). */
  private async cachedTableBytes(table: string, dtypes: { dtype: string }[]): Promise<number> {
    const types = await this.duckdb.queryJson(
      `SELECT column_type FROM (DESCRIBE ${quoteIdent(table)})`,
    );
    const columns = dtypes.map(({ dtype }, i) => ({
      ident: columnIdent(i),
      text: !FIXED_DTYPES.test(dtype) && !FIXED_OBJECT_TYPES.has(types[i]?.column_type as string),
    }));
    const [row] = await this.duckdb.queryJson(cachedTableSizeSql(quoteIdent(table), columns));
    return Object.values(row).reduce<number>((sum, bytes) => sum + Number(bytes), 0);
  }
}

/** dtypes the input cache holds as 8-byte values; the others are text, except BOOLEAN and TIME. */
const FIXED_OBJECT_TYPES = new Set(['BOOLEAN', 'TIME']);
const FIXED_DTYPES = /^(int64|Int64|uint64|float64|bool|datetime64\[ns.*|timedelta64\[ns\])$/;

/** The name shown back to the person: no path, no control characters, bounded. */
function cleanFilename(original: string): string {
  const name = basename(original.replace(/\\/g, '/'))
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim();
  return name.slice(-MAX_FILENAME_LENGTH) || 'upload';
}
