import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { recordOf } from '../../common/json/record-of';
import { Session } from '../session';

/** The contract's UploadResponse. */
export class UploadResponseDto {
  @ApiProperty({ format: 'uuid' }) session_id!: string;
  @ApiProperty({ example: 'sales.csv' }) filename!: string;
  @ApiProperty() row_count!: number;
  @ApiProperty() column_count!: number;
  @ApiProperty({ type: [String] }) columns!: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { amount: 'float64', region: 'object' },
    description: 'pandas dtype name of each column, as transform(df) sees it',
  })
  dtypes!: Record<string, string>;
  @ApiProperty() file_size_bytes!: number;
  @ApiPropertyOptional({ type: [String], description: 'Sheet names of an XLSX workbook' })
  sheets?: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Columns whose names were empty or repeated: {original: new}',
  })
  renamed_columns?: Record<string, string>;
  @ApiProperty({
    type: [String],
    description:
      'How the file was read: encoding, replaced bytes, typing choices (plain sentences)',
  })
  warnings!: string[];

  static from(session: Session): UploadResponseDto {
    const d = session.dataset;
    const dto = new UploadResponseDto();
    dto.session_id = session.id;
    dto.filename = d.filename;
    dto.row_count = d.rowCount;
    dto.column_count = d.columns.length;
    dto.columns = d.columns;
    dto.dtypes = recordOf(d.columns, d.dtypes);
    dto.file_size_bytes = d.fileSizeBytes;
    if (d.sheets) dto.sheets = d.sheets;
    if (d.renamedColumns && Object.keys(d.renamedColumns).length > 0) {
      dto.renamed_columns = d.renamedColumns;
    }
    dto.warnings = d.warnings;
    return dto;
  }
}
