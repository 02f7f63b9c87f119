import { join } from 'node:path';

/** What the upload learned about the file; the contract's UploadResponse fields. */
export interface DatasetInfo {
  filename: string;
  fileSizeBytes: number;
  rowCount: number;
  /** Names exactly as pandas gives them; column i is `columnIdent(i)` in the table. */
  columns: string[];
  /** pandas dtype of each column, by position. */
  dtypes: string[];
  sheets?: string[];
  /** `{original: new}` (null prototype: the keys are the file's text). */
  renamedColumns?: Record<string, string>;
  /** How the file was read, in plain sentences (UploadResponse.warnings). */
  warnings: string[];
  /** Bytes the session's input cache will take (see storage-budget.service.ts); counted in its budget. */
  cachedTableBytes?: number;
}

/**
 * A live session. Plain data (times are epoch milliseconds), so a store can keep it
 * anywhere (see session-store.ts); its jobs are execution's (src/execution/jobs).
 */
export interface Session {
  id: string;
  dataset: DatasetInfo;
  /**
   * DuckDB view with the uploaded rows (columns c0.., see DatasetInfo), in file order
   * (rowid), over `<dir>/table.parquet` (sessionTableFile); SessionsService.get attaches it
   * in the process that asks.
   */
  table: string;
  /** Folder that holds this session's files; removed with the session. */
  dir: string;
  createdAt: number;
  expiresAt: number;
  /** Key of the client that uploaded it (see src/auth/client-key.ts): whose share it counts in. */
  owner: string;
}

/** Server-generated table names: never derived from user text. */
export function sessionTableName(sessionId: string): string {
  return `session_${sessionId.replace(/-/g, '')}`;
}

/** The session's rows as a Parquet file in its folder (written once, at upload). */
export function sessionTableFile(session: Pick<Session, 'dir'>): string {
  return join(session.dir, SESSION_TABLE_FILE);
}

export const SESSION_TABLE_FILE = 'table.parquet';

/** A job as GET /sessions/{id} lists it; execution answers these (SessionsService.provideJobs). */
export interface SessionJobSummary {
  id: string;
  status: 'queued' | 'running' | 'success' | 'error';
  /** Epoch milliseconds. */
  createdAt: number;
  executionTimeMs: number | null;
  outputRowCount: number | null;
  /** The job whose output this one ran on; null: the upload. */
  sourceJobId: string | null;
}
