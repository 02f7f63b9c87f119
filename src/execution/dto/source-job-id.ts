import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';

/**
 * The optional `source_job_id` of a step (execute, generate, fix, auto, refine): a
 * successful job of the same session whose output the step works on instead of the
 * upload. Unknown, unsuccessful or another session's job: 404.
 */
export function SourceJobIdProperty(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      format: 'uuid',
      nullable: true,
      type: String,
      description:
        "A successful job of this session: the step works on that job's output (its schema, " +
        'samples and data) instead of the upload. Unknown, unsuccessful or of another session: 404',
    }),
    IsOptional(),
    IsString(),
    IsNotEmpty(),
  );
}
