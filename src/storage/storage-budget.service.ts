import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { join } from 'node:path';
import { StorageBudgetExceeded } from '../common/errors/domain-errors';
import { budgetConfig, storageConfig } from '../config/configuration';
import { DecodedFrame } from '../table-transfer/frame';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { directoryBytes, formatBytes, frameBytes } from './disk-usage';

/** Where uploads land while they arrive (multer), before a session owns them. */
export function incomingDir(inboundDir: string): string {
  return join(inboundDir, '.incoming');
}

/**
 * The session's input cache: its rows as the sandbox reads them, written by the first job
 * (src/execution/input-cache.service.ts, same name). Its size is known at upload (see
 * cachedTableBytes), so the budget counts that figure from the start instead of the file.
 */
const INPUT_CACHE_FILE = 'sandbox-input.bin';

/**
 * The bytes a session's input cache takes, from its cached table: 8 bytes a value for
 * numbers, dates and times, 1 for booleans, the UTF-8 text and a separator for text, and
 * a byte a row for each column with missing values (table-transfer/input-frame.ts's layout).
 * It is also the cached table's size with every text value (a workbook's shared strings
 * among them) written out in full. The query answers one row with one BIGINT a column
 * (b0, b1, ...: a sum of them all would pass DuckDB's expression depth on wide tables);
 * the caller adds them up.
 */
export function cachedTableSizeSql(
  table: string,
  columns: { ident: string; text: boolean }[],
): string {
  const parts = columns.map(({ ident, text }, i) => {
    const values = text
      ? `coalesce(sum(strlen(CAST(${ident} AS VARCHAR))), 0) + count(*)`
      : `8 * count(*)`;
    const mask = `CASE WHEN count(${ident}) < count(*) THEN count(*) ELSE 0 END`;
    return `(${values} + ${mask})::BIGINT AS b${i}`;
  });
  return `SELECT ${parts.join(', ') || '0 AS b0'} FROM ${table}`;
}

/**
 * The storage budgets: SESSION_MAX_BYTES for one session and STORAGE_MAX_BYTES for all
 * sessions and the uploads under way. A session counts the files in its folder (the upload
 * and its jobs' outputs, Parquet files there, see output-store.service.ts) and its input
 * cache at the size measured at upload (DatasetInfo.cachedTableBytes), whether or not a job
 * has written it yet: an upload is refused at once when its cache would not fit, rather
 * than accepted and its every job failing. An output about to be stored counts the bytes
 * of its decoded frame.
 */
@Injectable()
export class StorageBudget {
  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(budgetConfig.KEY) private readonly cfg: ConfigType<typeof budgetConfig>,
    private readonly sessions: SessionsService,
  ) {}

  /** Bytes one session holds now: its folder's files and its input cache (written or not). */
  async sessionBytes(session: Session): Promise<number> {
    const cache = session.dataset.cachedTableBytes;
    if (cache === undefined) return directoryBytes(session.dir);
    return (await directoryBytes(session.dir, [INPUT_CACHE_FILE])) + cache;
  }

  /** Bytes all live sessions and the uploads under way hold now. */
  async totalBytes(): Promise<number> {
    const parts = await Promise.all([
      directoryBytes(incomingDir(this.storage.inboundDir)),
      ...(await this.sessions.liveSessions()).map((s) => this.sessionBytes(s)),
    ]);
    return parts.reduce((a, b) => a + b, 0);
  }

  /**
   * Refuses (StorageBudgetExceeded, 413) an upload of `bytes` that would pass a budget.
   * `landed`: the file is already in the incoming folder, so the total counts it.
   */
  async assertUploadFits(bytes: number, landed: boolean): Promise<void> {
    const { sessionMaxBytes, storageMaxBytes } = this.cfg;
    if (bytes > sessionMaxBytes) throw this.uploadOverSessionBudget(bytes);
    const total = (await this.totalBytes()) + (landed ? 0 : bytes);
    if (total > storageMaxBytes) throw this.storageFull(storageMaxBytes);
  }

  /**
   * Refuses (StorageBudgetExceeded, 413) a new session whose upload of `fileBytes` and input
   * cache of `cacheBytes` (measured on the cached table) would pass a budget. The upload
   * itself is already in the session's folder (`dir`), so the total counts it.
   */
  async assertSessionFits(fileBytes: number, cacheBytes: number): Promise<void> {
    const { sessionMaxBytes, storageMaxBytes } = this.cfg;
    if (fileBytes + cacheBytes > sessionMaxBytes) {
      throw new StorageBudgetExceeded(
        `The file (${formatBytes(fileBytes)}) and its rows as cached for jobs ` +
          `(${formatBytes(cacheBytes)}, every text value written out) come to more than a ` +
          `session may hold: SESSION_MAX_BYTES is ${formatBytes(sessionMaxBytes)}`,
      );
    }
    if ((await this.totalBytes()) + cacheBytes > storageMaxBytes)
      throw this.storageFull(storageMaxBytes);
  }

  /**
   * Claims room for a job's output in its session; answers why not (naming the budget)
   * when it would pass one, else null. Once stored, the output's file counts in the folder.
   */
  async claimOutput(session: Session, frame: DecodedFrame): Promise<string | null> {
    const bytes = frameBytes(frame);
    const { sessionMaxBytes, storageMaxBytes } = this.cfg;
    const held = await this.sessionBytes(session);
    if (held + bytes > sessionMaxBytes) {
      return (
        `the output (${formatBytes(bytes)}) would take the session past its storage budget: ` +
        `SESSION_MAX_BYTES is ${formatBytes(sessionMaxBytes)} and the session holds ` +
        `${formatBytes(held)}; return fewer rows or columns, or start a new session`
      );
    }
    if ((await this.totalBytes()) + bytes > storageMaxBytes) {
      return `the output (${formatBytes(bytes)}) does not fit: ${this.storageFull(storageMaxBytes).message}`;
    }
    return null;
  }

  /** The refusal of an upload larger than SESSION_MAX_BYTES (`bytes` when known). */
  uploadOverSessionBudget(bytes?: number): StorageBudgetExceeded {
    const size = bytes === undefined ? '' : ` (${formatBytes(bytes)})`;
    return new StorageBudgetExceeded(
      `The file${size} is larger than a session may hold: ` +
        `SESSION_MAX_BYTES is ${formatBytes(this.cfg.sessionMaxBytes)}`,
    );
  }

  private storageFull(max: number): StorageBudgetExceeded {
    return new StorageBudgetExceeded(
      `The server's storage for sessions is full: STORAGE_MAX_BYTES is ${formatBytes(max)}; ` +
        'delete sessions you no longer need (DELETE /sessions/{session_id}) or try again later',
    );
  }
}
