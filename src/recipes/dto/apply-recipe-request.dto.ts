import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';

export class ApplyRecipeRequestDto {
  @ApiProperty({
    format: 'uuid',
    description: "The session whose upload the recipe's steps run on",
  })
  @IsString()
  @IsNotEmpty()
  session_id!: string;
}
