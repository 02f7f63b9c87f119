import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Length } from 'class-validator';
import { SourceJobIdProperty } from '../../execution/dto/source-job-id';

export const BROKEN_CODE_MIN_CHARS = 10;
export const BROKEN_CODE_MAX_CHARS = 100_000;
export const ERROR_MESSAGE_MIN_CHARS = 1;
export const ERROR_MESSAGE_MAX_CHARS = 5000;

export class FixCodeDto {
  @ApiProperty({ format: 'uuid', description: 'The session_id the upload returned' })
  @IsString()
  @IsNotEmpty()
  session_id!: string;

  @ApiProperty({
    minLength: BROKEN_CODE_MIN_CHARS,
    maxLength: BROKEN_CODE_MAX_CHARS,
    description: 'The module that failed',
  })
  @IsString()
  @Length(BROKEN_CODE_MIN_CHARS, BROKEN_CODE_MAX_CHARS)
  broken_code!: string;

  @ApiProperty({
    minLength: ERROR_MESSAGE_MIN_CHARS,
    maxLength: ERROR_MESSAGE_MAX_CHARS,
    description: "The job's error_message (or the checker's refusal)",
  })
  @IsString()
  @Length(ERROR_MESSAGE_MIN_CHARS, ERROR_MESSAGE_MAX_CHARS)
  error_message!: string;

  @SourceJobIdProperty()
  source_job_id?: string | null;
}
