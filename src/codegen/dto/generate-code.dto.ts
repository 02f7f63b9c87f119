import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Length } from 'class-validator';
import { SourceJobIdProperty } from '../../execution/dto/source-job-id';

export const REFINED_PROMPT_MIN_CHARS = 50;
export const REFINED_PROMPT_MAX_CHARS = 20_000;

export class GenerateCodeDto {
  @ApiProperty({ format: 'uuid', description: 'The session_id the upload returned' })
  @IsString()
  @IsNotEmpty()
  session_id!: string;

  @ApiProperty({
    minLength: REFINED_PROMPT_MIN_CHARS,
    maxLength: REFINED_PROMPT_MAX_CHARS,
    description:
      'The specification to implement, usually the (edited) result of instructions/refine',
  })
  @IsString()
  @Length(REFINED_PROMPT_MIN_CHARS, REFINED_PROMPT_MAX_CHARS)
  refined_prompt!: string;

  @SourceJobIdProperty()
  source_job_id?: string | null;
}
