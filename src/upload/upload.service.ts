import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { UploadRejected } from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { storageConfig, uploadConfig } from '../config/configuration';
import { DuckDbService, quoteIdent } from '../duckdb/duckdb.service';
import { DatasetInfo, Session, sessionTableName } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { makeUniqueColumnNames } from './column-names';
import { CsvIngester } from './csv/csv-ingester';
import { pandasDtypeFor } from './pandas-dtypes';
import { TableIngester } from './table-ingester';
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

/** Step 1: an uploaded file becomes a session with its rows cached in DuckDB. */
@Injectable()
export class UploadService {
  private readonly ingesters: Record<string, TableIngester>;

  constructor(
    @Inject(uploadConfig.KEY) private readonly cfg: ConfigType<typeof uploadConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly sessions: SessionsService,
    private readonly duckdb: DuckDbService,
    private readonly logger: AppLogger,
    csv: CsvIngester,
    xlsx: XlsxIngester,
  ) {
    this.ingesters = { '.csv': csv, '.tsv': csv, '.txt': csv, '.xlsx': xlsx };
  }

  async upload(file: UploadedFile | undefined, sheet?: string): Promise<UploadResult> {
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
      return await this.createSession(file, filename, extension, ingester, sheet);
    } finally {
      await rm(file.path, { force: true });
    }
  }

  private async createSession(
    file: UploadedFile,
    filename: string,
    extension: string,
    ingester: TableIngester,
    sheet: string | undefined,
  ): Promise<UploadResult> {
    const id = this.sessions.newId();
    const dir = join(this.storage.inboundDir, id);
    const table = sessionTableName(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const path = join(dir, `upload${extension}`);
      await rename(file.path, path);
      const started = performance.now();
      const ingested = await ingester.ingest(path, table, { sheet: sheet || undefined });
      const { names, renamed } = makeUniqueColumnNames(ingested.header, ingested.hasHeader);
      const dataset: DatasetInfo = {
        filename,
        fileSizeBytes: file.size,
        ...(await this.finishTable(table, names)),
        ...(ingested.sheets ? { sheets: ingested.sheets } : {}),
        ...(Object.keys(renamed).length > 0 ? { renamedColumns: renamed } : {}),
      };
      if (dataset.columns.length === 0) throw new UploadRejected('The file has no columns');
      const ingestMs = Math.round(performance.now() - started);
      this.logger.log(
        {
          msg: 'upload cached',
          session_id: id,
          rows: dataset.rowCount,
          columns: names.length,
          ms: ingestMs,
        },
        'UploadService',
      );
      return { session: this.sessions.create(id, dataset, table, dir), ingestMs };
    } catch (error) {
      await this.duckdb.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Gives the table its final column names and reads back shape and pandas dtypes. */
  private async finishTable(
    table: string,
    names: string[],
  ): Promise<Pick<DatasetInfo, 'rowCount' | 'columns' | 'dtypes'>> {
    return this.duckdb.withConnection(async (conn) => {
      const t = quoteIdent(table);
      const describe = async () =>
        (
          await conn.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${t})`)
        ).getRowObjectsJson();
      const current = (await describe()).map((r) => r.column_name as string);
      if (current.length !== names.length) throw new Error('column count changed while caching');
      // Two passes so that swapping names (a→b, b→a) never collides.
      const changed = current.map((name, i) => (name !== names[i] ? i : -1)).filter((i) => i >= 0);
      for (const i of changed) {
        await conn.run(
          `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(current[i])} TO ${quoteIdent(`__renaming_${i}`)}`,
        );
      }
      for (const i of changed) {
        await conn.run(
          `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(`__renaming_${i}`)} TO ${quoteIdent(names[i])}`,
        );
      }
      const types = (await describe()).map((r) => r.column_type as string);
      const counts = names.map((n, i) => `count(${quoteIdent(n)}) AS c${i}`);
      const stats = (
        await conn.runAndReadAll(
          `SELECT count(*) AS n${counts.length ? ', ' + counts.join(', ') : ''} FROM ${t}`,
        )
      ).getRowObjectsJson()[0];
      const rowCount = Number(stats.n);
      const dtypes: Record<string, string> = {};
      names.forEach((name, i) => {
        dtypes[name] = pandasDtypeFor({
          name,
          duckdbType: types[i],
          hasNulls: Number(stats[`c${i}`]) < rowCount,
        });
      });
      return { rowCount, columns: names, dtypes };
    });
  }
}

/** The name shown back to the person: no path, no control characters, bounded. */
function cleanFilename(original: string): string {
  const name = basename(original.replace(/\\/g, '/'))
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim();
  return name.slice(-MAX_FILENAME_LENGTH) || 'upload';
}
