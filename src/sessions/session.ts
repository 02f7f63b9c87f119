import { JsonRow } from '../duckdb/duckdb.service';

export type JobStatus = 'queued' | 'running' | 'success' | 'error';

/** One execution of code against a session's data (filled in by the execution module). */
export interface JobRecord {
  id: string;
  status: JobStatus;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  executionTimeMs: number | null;
  errorMessage: string | null;
  /** What the code printed, each capped (MAX_OUTPUT_BYTES for both together). */
  stdout: string;
  stderr: string;
  outputRowCount: number | null;
  /** The output's column names as shown (unique; duplicates renamed as pandas does). */
  outputColumns: string[];
  /**
   * How each output column is held and spelled, in order (see src/execution/output-columns.ts).
   * Column i of `outputTable` is `c<i>`: no user name reaches SQL.
   */
  outputSchema: {
    name: string;
    /** The pandas dtype `transform` returned. */
    dtype: string;
    stored:
      | 'int'
      | 'uint'
      | 'float'
      | 'bool'
      | 'datetime'
      | 'datetimetz'
      | 'timedelta'
      | 'time'
      | 'date'
      | 'text';
    /** datetimetz: an IANA zone name or a fixed offset (+05:30). */
    tz?: string;
    /** datetime columns of dtype datetime64[ns]: pandas spells the whole column as dates. */
    datesOnly?: boolean;
    /** datetime columns of dtype datetime64[ns]: fraction digits pandas gives every value (0, 3, 6, 9). */
    fractionDigits?: number;
    /** timedelta: every value is a whole number of days (pandas writes `1 days`). */
    wholeDays?: boolean;
  }[];
  previewRows: JsonRow[];
  /** Plain sentences about output values that had to be represented differently. */
  warnings: string[];
  /** DuckDB table holding the output, when status is success. */
  outputTable: string | null;
}

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
}

export interface Session {
  id: string;
  dataset: DatasetInfo;
  /** DuckDB table with the uploaded rows (columns c0.., see DatasetInfo), in file order (rowid). */
  table: string;
  /** Folder that holds this session's files; removed with the session. */
  dir: string;
  createdAt: Date;
  expiresAt: Date;
  jobs: Map<string, JobRecord>;
  /** Key of the client that uploaded it (see src/auth/client-key.ts): whose share it counts in. */
  owner: string;
}

/** Server-generated table names: never derived from user text. */
export function sessionTableName(sessionId: string): string {
  return `session_${sessionId.replace(/-/g, '')}`;
}
