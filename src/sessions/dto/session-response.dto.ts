import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Session, SessionJobSummary } from '../session';
import { UploadResponseDto } from './upload-response.dto';

export class JobSummaryDto {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'success', 'error'] }) status!: string;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional({ nullable: true, type: Number }) execution_time_ms!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) output_row_count!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The job whose output this step ran on (source_job_id); null: the upload',
  })
  source_job_id!: string | null;

  static from(job: SessionJobSummary): JobSummaryDto {
    return {
      job_id: job.id,
      status: job.status,
      created_at: new Date(job.createdAt).toISOString(),
      execution_time_ms: job.executionTimeMs,
      output_row_count: job.outputRowCount,
      source_job_id: job.sourceJobId,
    };
  }
}

export class SessionResponseDto extends UploadResponseDto {
  @ApiProperty() created_at!: string;
  @ApiProperty() expires_at!: string;
  @ApiProperty({ type: [JobSummaryDto] }) jobs!: JobSummaryDto[];

  static override from(session: Session, jobs: SessionJobSummary[] = []): SessionResponseDto {
    return Object.assign(new SessionResponseDto(), UploadResponseDto.from(session), {
      created_at: new Date(session.createdAt).toISOString(),
      expires_at: new Date(session.expiresAt).toISOString(),
      jobs: jobs.map((j) => JobSummaryDto.from(j)),
    });
  }
}
