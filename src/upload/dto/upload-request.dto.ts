import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

/** The non-file fields of the multipart upload. */
export class UploadRequestDto {
  @ApiPropertyOptional({ description: 'XLSX sheet name to load' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  sheet?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description: 'false when the file has no header row: columns are then named column_1..n',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: "header must be 'true' or 'false'" })
  header?: 'true' | 'false';
}
