import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { SourceJobIdProperty } from '../../../execution/dto/source-job-id';
import { REFINED_PROMPT_MAX_CHARS, REFINED_PROMPT_MIN_CHARS } from '../../dto/generate-code.dto';

export const MIN_ATTEMPTS = 1;
export const MAX_ATTEMPTS = 5;

export class AutoModeDto {
  @ApiProperty({ format: 'uuid', description: 'The session_id the upload returned' })
  @IsString()
  @IsNotEmpty()
  session_id!: string;

  @ApiProperty({
    minLength: REFINED_PROMPT_MIN_CHARS,
    maxLength: REFINED_PROMPT_MAX_CHARS,
    description: 'The specification to implement, usually the result of instructions/refine',
  })
  @IsString()
  @Length(REFINED_PROMPT_MIN_CHARS, REFINED_PROMPT_MAX_CHARS)
  refined_prompt!: string;

  @ApiPropertyOptional({
    minimum: MIN_ATTEMPTS,
    maximum: MAX_ATTEMPTS,
    description: 'Model calls (attempts) at most; AUTO_MAX_ATTEMPTS (default 3) when absent',
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_ATTEMPTS)
  @Max(MAX_ATTEMPTS)
  max_attempts?: number;

  @SourceJobIdProperty()
  source_job_id?: string | null;
}
