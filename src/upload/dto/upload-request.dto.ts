import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The non-file fields of the multipart upload. */
export class UploadRequestDto {
  @ApiPropertyOptional({ description: 'XLSX sheet name to load' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  sheet?: string;
}
