import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class SaveRecipeRequestDto {
  @ApiProperty({ format: 'uuid', description: 'The session the job belongs to' })
  @IsString()
  @IsNotEmpty()
  session_id!: string;

  @ApiProperty({
    format: 'uuid',
    description:
      'A successful job; saved with every job it ran on (source_job_id), back to the upload',
  })
  @IsString()
  @IsNotEmpty()
  job_id!: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Monthly sales cleanup' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;
}
