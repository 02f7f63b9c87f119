import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Length } from 'class-validator';
import { SourceJobIdProperty } from './source-job-id';

export class ExecuteRequestDto {
  @ApiProperty({ format: 'uuid', description: 'Session whose data the code runs against' })
  @IsString()
  @IsNotEmpty()
  session_id!: string;

  @ApiProperty({
    minLength: 10,
    maxLength: 50000,
    description: 'A Python module defining `def transform(df: pd.DataFrame) -> pd.DataFrame`',
    example: 'import pandas as pd\n\ndef transform(df):\n    return df.head(10)\n',
  })
  @IsString()
  @Length(10, 50000)
  code!: string;

  @SourceJobIdProperty()
  source_job_id?: string | null;
}
