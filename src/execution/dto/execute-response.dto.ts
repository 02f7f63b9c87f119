import { ApiProperty } from '@nestjs/swagger';

export class ExecuteResponseDto {
  @ApiProperty({
    format: 'uuid',
    description: 'Poll GET /execute/{session_id}/{job_id} for the outcome',
  })
  job_id!: string;
}
