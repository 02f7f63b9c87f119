import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';

/** Offsets and limits are bound as numbers and echoed in JSON: both hold 2^53 - 1 exactly. */
export const MAX_ROW_NUMBER = Number.MAX_SAFE_INTEGER;

/**
 * Plain decimal digits become a number; anything else (`0x10`, `1e3`, ` 5`, empty, a value
 * given twice) stays as sent, so that validation refuses it instead of Number() guessing.
 */
export function decimalInteger({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
}

/** A whole number from `min` to MAX_ROW_NUMBER, refused with one message naming the range. */
export function WholeNumber(min: number): PropertyDecorator {
  return ValidateBy({
    name: 'wholeNumber',
    constraints: [min, MAX_ROW_NUMBER],
    validator: {
      validate: (value: unknown) =>
        typeof value === 'number' && Number.isSafeInteger(value) && value >= min,
      defaultMessage: (args) =>
        `${args?.property ?? 'value'} must be a whole number from ${min} to ${MAX_ROW_NUMBER}, given once`,
    },
  });
}

export class RowsQueryDto {
  @ApiPropertyOptional({ default: 0, minimum: 0, maximum: MAX_ROW_NUMBER })
  @IsOptional()
  @Transform(decimalInteger)
  @WholeNumber(0)
  offset: number = 0;

  @ApiPropertyOptional({
    default: 50,
    minimum: 1,
    maximum: MAX_ROW_NUMBER,
    description: 'Capped at ROWS_PAGE_MAX_LIMIT',
  })
  @IsOptional()
  @Transform(decimalInteger)
  @WholeNumber(1)
  limit: number = 50;
}
