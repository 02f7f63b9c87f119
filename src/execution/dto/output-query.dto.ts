import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { OUTPUT_FORMATS } from '../output-export.service';

export class OutputQueryDto {
  // Any string is accepted here so that an unknown format answers 400 (contract), not 422.
  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'csv' })
  @IsOptional()
  @IsString()
  format?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      'CSV: prefix text cells (and column names) that start with = + - @, a tab or a carriage ' +
      "return with ' so that spreadsheets do not run them as formulas (OWASP CSV injection). " +
      'Default: DOWNLOAD_ESCAPE_FORMULAS (false: the CSV is byte for byte what to_csv writes).',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: "escape_formulas must be 'true' or 'false'" })
  escape_formulas?: 'true' | 'false';
}
