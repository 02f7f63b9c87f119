import type { JsonRow } from '../../duckdb/duckdb.service';

export type JobStatus = 'queued' | 'running' | 'success' | 'error';

/** How an output column is held in its Parquet file, and spelled back as pandas would. */
export type StoredType =
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

/** One output column (see src/execution/output-columns.ts). */
export interface OutputColumnSchema {
  name: string;
  /** The pandas dtype `transform` returned. */
  dtype: string;
  stored: StoredType;
  /** datetimetz: an IANA zone name or a fixed offset (+05:30). */
  tz?: string;
  /** datetime64[ns] columns: pandas spells the whole column as dates. */
  datesOnly?: boolean;
  /** datetime64[ns] columns: fraction digits pandas gives every value (0, 3, 6, 9). */
  fractionDigits?: number;
  /** timedelta: every value is a whole number of days (pandas writes `1 days`). */
  wholeDays?: boolean;
}

/**
 * One execution of code against a session's data. Plain data (times are epoch
 * milliseconds), so a store can keep it anywhere (see job-store.ts).
 */
export interface JobRecord {
  id: string;
  sessionId: string;
  status: JobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  executionTimeMs: number | null;
  errorMessage: string | null;
  /** What the code printed, each capped (MAX_OUTPUT_BYTES for both together). */
  stdout: string;
  stderr: string;
  outputRowCount: number | null;
  /** The output's column names as shown (unique; duplicates renamed as pandas does). */
  outputColumns: string[];
  /** Column i of `outputTable` is `c<i>`: no user name reaches SQL. */
  outputSchema: OutputColumnSchema[];
  previewRows: JsonRow[];
  /** Plain sentences about output values that had to be represented differently. */
  warnings: string[];
  /** DuckDB view over the output's Parquet file, when status is success. */
  outputTable: string | null;
  /**
   * The module's `check(df, out)` passed (true) or failed (false); null when it defines
   * none or the job ended before the check gave a verdict. Records stored before checks
   * existed lack it: read it as `checkPassed ?? null`.
   */
  checkPassed: boolean | null;
  /**
   * The successful job of the same session whose output this job ran on; null when it ran
   * on the upload. Records stored before chained steps lack it: read it as `?? null`.
   */
  sourceJobId: string | null;
  /**
   * The module the job ran (kept so a recipe can be saved from it). Records stored before
   * recipes lack it: read it as `?? null`.
   */
  code?: string | null;
}

/** A queued job as created by POST /execute. */
export function newJob(
  id: string,
  sessionId: string,
  createdAt: number,
  sourceJobId: string | null = null,
  code: string | null = null,
): JobRecord {
  return {
    id,
    sessionId,
    status: 'queued',
    createdAt,
    startedAt: null,
    finishedAt: null,
    executionTimeMs: null,
    errorMessage: null,
    stdout: '',
    stderr: '',
    outputRowCount: null,
    outputColumns: [],
    outputSchema: [],
    previewRows: [],
    warnings: [],
    outputTable: null,
    checkPassed: null,
    sourceJobId,
    code,
  };
}
