import { OutputNotAvailable } from '../common/errors/domain-errors';
import { columnIdent } from '../duckdb/duckdb.service';
import { Session } from '../sessions/session';
import { JobRecord, OutputColumnSchema } from './jobs/job';
import type { OutputStore } from './output-store.service';

/**
 * The rows a step works on: the session's upload, or a successful job's output (chained
 * steps, `source_job_id`). Resolved by ExecutionService.dataSource; the input cache and
 * the prompts' data context read it as they read the upload.
 */
export interface DataSource {
  /** DuckDB table or view in this process, columns c0, c1, ... read through pandasColumn. */
  table: string;
  /** Column names as `df` has them, in order. */
  columns: string[];
  /** The pandas dtype `df` gives each column, by position. */
  dtypes: string[];
  rowCount: number;
  /** The job whose output this is; null: the upload. */
  jobId: string | null;
}

const NUMPY_INTEGER = /^u?int(8|16|32|64)$/;

/**
 * The dtype an output column has when it is read back as the next step's input: the dtype
 * `transform` returned whenever the input frame can rebuild it (int64, Int64, uint64,
 * float64, bool, boolean, object, string, datetime64[ns], zone-aware, timedelta64[ns]);
 * otherwise the nearest one that holds every value (int32 → int64, Int8 → Int64,
 * float32 → float64, category → its values' dtype, an object column of integers → Int64,
 * of datetimes → datetime64[ns]).
 */
export function inputDtypeOf(column: OutputColumnSchema): string {
  const { dtype } = column;
  switch (column.stored) {
    case 'int':
      return NUMPY_INTEGER.test(dtype) ? 'int64' : 'Int64';
    case 'uint':
      return dtype === 'uint64' ? 'uint64' : 'UInt64';
    case 'float':
      return 'float64';
    case 'bool':
      return dtype === 'bool' || dtype === 'boolean' ? dtype : 'object';
    case 'datetime':
      return 'datetime64[ns]';
    case 'datetimetz':
      return `datetime64[ns, ${column.tz ?? 'UTC'}]`;
    case 'timedelta':
      return 'timedelta64[ns]';
    case 'text':
      return dtype === 'string' ? 'string' : 'object';
    default:
      // time of day (datetime.time) and dates (datetime.date) are Python objects.
      return 'object';
  }
}

/**
 * The SELECT list of the view that gives an output's columns the DuckDB types an upload
 * would hold them in (see upload/table-ingester.ts), from the stored ones (Parquet int64
 * nanoseconds for datetimes and durations): the readers (pandasColumn, input-frame.ts,
 * the profile) then treat it as they treat an upload. Zone-aware and duration values keep
 * microseconds, as an upload's do.
 */
export function inputSelect(columns: OutputColumnSchema[]): string {
  const select = columns.map((column, i) => {
    const c = columnIdent(i);
    switch (column.stored) {
      case 'datetime':
        return `make_timestamp_ns(${c}) AS ${c}`;
      case 'datetimetz':
        return `TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds(${c} // 1000) AS ${c}`;
      case 'timedelta':
        return `to_microseconds(${c} // 1000) AS ${c}`;
      case 'time':
        return `TIME '00:00:00' + to_microseconds(${c} // 1000) AS ${c}`;
      default:
        return c;
    }
  });
  // rowid last, as an upload's view has it: positional readers see c0.. first.
  return [...select, 'rowid'].join(', ');
}

/** A successful job's output as a DataSource, its input view attached in this process. */
export async function outputSource(
  outputs: OutputStore,
  session: Pick<Session, 'dir'>,
  job: JobRecord,
): Promise<DataSource> {
  if (job.status !== 'success' || !job.outputTable)
    throw new OutputNotAvailable(job.id, job.status);
  const table = await outputs.attachInput(job.outputTable, job.outputSchema, session.dir);
  return {
    table,
    columns: job.outputColumns,
    dtypes: job.outputSchema.map(inputDtypeOf),
    rowCount: job.outputRowCount ?? 0,
    jobId: job.id,
  };
}
