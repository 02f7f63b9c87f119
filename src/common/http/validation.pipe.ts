import {
  ArgumentMetadata,
  Injectable,
  UnprocessableEntityException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { assertBoundedShape } from './body-guard';

export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

const PRIMITIVES: unknown[] = [String, Boolean, Number, Array, Object];

class FieldValidationFailed extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

function flatten(errors: ValidationError[], where: string, parent: string[] = []): FieldProblem[] {
  return errors.flatMap((error) => {
    const path = [...parent, error.property];
    const own = Object.entries(error.constraints ?? {}).map(([type, msg]) => ({
      loc: [where, ...path],
      msg,
      type,
    }));
    return [...own, ...flatten(error.children ?? [], where, path)];
  });
}

/** Validates DTOs and answers 422 with one `{loc, msg, type}` item per problem. */
@Injectable()
export class ContractValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => new FieldValidationFailed(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      if (metadata.metatype && !PRIMITIVES.includes(metadata.metatype)) {
        throw new UnprocessableEntityException({
          detail: [
            { loc: ['body'], msg: 'Request body must be a JSON object', type: 'type_error' },
          ],
        });
      }
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      assertBoundedShape(value, metadata.type === 'body' ? 'request body' : 'query string');
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof FieldValidationFailed) {
        throw new UnprocessableEntityException({ detail: flatten(error.errors, metadata.type) });
      }
      throw error;
    }
  }
}
