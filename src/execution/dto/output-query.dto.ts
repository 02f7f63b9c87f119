import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { OUTPUT_FORMATS } from '../output-export.service';

export class OutputQueryDto {
  // Any string is accepted here so that an unknown format answers 400 (contract), not 422.
  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'csv' })
  @IsOptional()
  @IsString()
  format?: string;
}
