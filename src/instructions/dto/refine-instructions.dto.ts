import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Length } from 'class-validator';
import { SourceJobIdProperty } from '../../execution/dto/source-job-id';

export const RAW_INSTRUCTIONS_MIN_CHARS = 10;
export const RAW_INSTRUCTIONS_MAX_CHARS = 5000;

export class RefineInstructionsDto {
  @ApiProperty({ format: 'uuid', description: 'The session_id the upload returned' })
  @IsString()
  @IsNotEmpty()
  session_id!: string;

  @ApiProperty({
    minLength: RAW_INSTRUCTIONS_MIN_CHARS,
    maxLength: RAW_INSTRUCTIONS_MAX_CHARS,
    description: 'What the person wants done with the table, in their own words',
    example: 'Keep only 2023 orders, add a total column (qty * price) and sum it per region.',
  })
  @IsString()
  @Length(RAW_INSTRUCTIONS_MIN_CHARS, RAW_INSTRUCTIONS_MAX_CHARS)
  raw_instructions!: string;

  @SourceJobIdProperty()
  source_job_id?: string | null;
}
