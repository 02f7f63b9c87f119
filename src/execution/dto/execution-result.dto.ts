import { ApiProperty } from '@nestjs/swagger';
import { JsonRow } from '../../duckdb/duckdb.service';
import { JobRecord } from '../jobs/job';

/** The contract's ExecutionResult, plus what the code printed and the output's size. */
export class ExecutionResultDto {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'success', 'error'] }) status!: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'First PREVIEW_ROW_COUNT rows, as the JSON download gives them: missing values null, ' +
      'integers beyond 2^53 as strings, ±inf as "Infinity"/"-Infinity", datetimes ISO 8601 ' +
      '(with the offset when zone-aware), durations ISO 8601',
  })
  preview_rows!: JsonRow[];
  @ApiProperty({
    type: [String],
    description:
      'Output column names in order; an index that holds data comes first, as reset_index() names it',
  })
  preview_columns!: string[];
  @ApiProperty({
    type: [String],
    description:
      'Plain sentences about output values that had to be represented differently (always present)',
  })
  warnings!: string[];
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'What went wrong: the exception and the line in the code, or the limit that stopped it',
  })
  error_message!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'From the start of the run to the stored output',
  })
  execution_time_ms!: number | null;
  @ApiProperty({ nullable: true, type: Number }) output_row_count!: number | null;
  @ApiProperty({ description: 'What the code printed to stdout (capped)' }) stdout!: string;
  @ApiProperty({ description: 'What the code printed to stderr, warnings included (capped)' })
  stderr!: string;
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description:
      "The module's check(df, out) passed (true) or failed (false: the job is an error " +
      "'check failed: <message> (line N)'); null when the code defines no check, or the job " +
      'ended before the check ran',
  })
  check_passed!: boolean | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The job whose output this step ran on (source_job_id); null: the upload',
  })
  source_job_id!: string | null;

  static from(job: JobRecord): ExecutionResultDto {
    return {
      job_id: job.id,
      status: job.status,
      preview_rows: job.previewRows,
      preview_columns: job.outputColumns,
      warnings: job.warnings,
      error_message: job.errorMessage,
      execution_time_ms: job.executionTimeMs,
      output_row_count: job.outputRowCount,
      stdout: job.stdout,
      stderr: job.stderr,
      check_passed: job.checkPassed ?? null,
      source_job_id: job.sourceJobId ?? null,
    };
  }
}
