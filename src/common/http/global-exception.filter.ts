import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  BadRequest,
  CodeRejected,
  DomainError,
  JobNotFound,
  ModelUnavailable,
  OutputNotAvailable,
  ServiceUnavailable,
  SessionNotFound,
  UploadRejected,
  UploadTooLarge,
} from '../errors/domain-errors';
import { AppLogger } from '../logging/app-logger.service';

function statusFor(error: DomainError): number {
  switch (true) {
    case error instanceof SessionNotFound:
    case error instanceof JobNotFound:
    case error instanceof OutputNotAvailable:
      return HttpStatus.NOT_FOUND;
    case error instanceof UploadTooLarge:
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case error instanceof UploadRejected:
    case error instanceof CodeRejected:
    case error instanceof BadRequest:
      return HttpStatus.BAD_REQUEST;
    case error instanceof ModelUnavailable:
    case error instanceof ServiceUnavailable:
      return HttpStatus.SERVICE_UNAVAILABLE;
    default:
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

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

    if (exception instanceof DomainError) {
      status = statusFor(exception);
      detail = exception.message;
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
    res.status(status).json({ detail });
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
