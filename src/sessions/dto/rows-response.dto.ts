import { ApiProperty } from '@nestjs/swagger';
import { JsonRow } from '../../duckdb/duckdb.service';

export class RowsResponseDto {
  @ApiProperty({ type: 'array', items: { type: 'object' } }) rows!: JsonRow[];
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() total!: number;
}
