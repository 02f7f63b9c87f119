import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, DomainErrorCode } from '../errors/domain-errors';
import { AppLogger } from '../logging/app-logger.service';

/** Every code needs a status here, or the type check fails: no domain error falls to 500. */
const STATUS_OF: Record<DomainErrorCode, HttpStatus> = {
  session_not_found: HttpStatus.NOT_FOUND,
  job_not_found: HttpStatus.NOT_FOUND,
  output_not_available: HttpStatus.NOT_FOUND,
  upload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  upload_rejected: HttpStatus.BAD_REQUEST,
  code_rejected: HttpStatus.BAD_REQUEST,
  unusable_request: HttpStatus.BAD_REQUEST,
  model_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  work_not_accepted: HttpStatus.SERVICE_UNAVAILABLE,
  limit_reached: HttpStatus.TOO_MANY_REQUESTS,
  storage_budget_exceeded: HttpStatus.PAYLOAD_TOO_LARGE,
  conflict: HttpStatus.CONFLICT,
  recipe_not_found: HttpStatus.NOT_FOUND,
};

/** Turns Nest's `{message, error, statusCode}` bodies into the contract's `{detail}`. */
function detailOf(exception: HttpException): unknown {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const record = body as Record<string, unknown>;
  if ('detail' in record) return record.detail;
  const message = record.message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** The one place errors become HTTP: `{detail}` always, stacks only in the log. */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    let status: number;
    let detail: unknown;
    let retryAfterSeconds: number | undefined;
    let extra: Record<string, unknown> = {};

    if (exception instanceof DomainError) {
      status = STATUS_OF[exception.code];
      detail = exception.message;
      retryAfterSeconds = exception.retryAfterSeconds;
      extra = exception.extra ?? {};
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      detail = detailOf(exception);
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      detail =
        exception.type === 'entity.too.large'
          ? 'Request body is too large'
          : 'Request body is not valid JSON';
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      detail = 'Internal server error';
    }

    if (status >= 500) {
      this.logger.error(
        exception instanceof Error ? exception : new Error(String(exception)),
        {
          method: req.method,
          path: req.path,
        },
        'GlobalExceptionFilter',
      );
    }
    if (res.headersSent) {
      // A stream already started; its own error event told the client. Just end it.
      if (!res.writableEnded) res.end();
      return;
    }
    if (retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
    }
    res.status(status).json({ ...extra, detail });
  }
}

function isBodyParserError(e: unknown): e is { status: number; type: string } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { status?: unknown }).status === 'number' &&
    typeof (e as { type?: unknown }).type === 'string' &&
    String((e as { type: string }).type).startsWith('entity.')
  );
}
