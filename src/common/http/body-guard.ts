import { HttpException, INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { UnusableRequest } from '../errors/domain-errors';

/** Deeper than any body of this API; class-transformer recurses once per level. */
export const MAX_BODY_DEPTH = 32;
/** Keys and array items in one body, all levels together; every request body holds a handful. */
export const MAX_BODY_VALUES = 1000;

/**
 * Refuses a parsed body (or query) that is nested too deeply or holds too many values,
 * before anything recursive (class-transformer, class-validator) walks it. Iterative, and
 * stops at the first bound passed, so a hostile value costs at most MAX_BODY_VALUES steps.
 */
export function assertBoundedShape(value: unknown, where: string): void {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let values = 0;
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= MAX_BODY_DEPTH) {
      throw new UnusableRequest(`The ${where} is nested more than ${MAX_BODY_DEPTH} levels deep`);
    }
    for (const key in next.value) {
      if (!Object.prototype.hasOwnProperty.call(next.value, key)) continue;
      if (++values > MAX_BODY_VALUES) {
        throw new UnusableRequest(`The ${where} holds more than ${MAX_BODY_VALUES} values`);
      }
      pending.push({ value: (next.value as Record<string, unknown>)[key], depth: next.depth + 1 });
    }
  }
}

interface ReaderError {
  status: number;
  type?: string;
  message: string;
}

function isReaderError(error: unknown): error is ReaderError {
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof HttpException) return false;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const READER_MESSAGES: Record<string, string> = {
  'charset.unsupported': 'The request body is in a charset this API does not read; send UTF-8',
  'encoding.unsupported':
    'The request body has a Content-Encoding this API does not read (gzip, deflate, br or none)',
  'entity.too.large': 'Request body is too large',
  'request.aborted': 'The request body was not sent whole',
  'request.size.invalid': 'The request body is not as long as its Content-Length says',
};

/**
 * Body-parser's other refusals (unknown charset or Content-Encoding, a body that does not
 * inflate, a short body) carry a 4xx status but are not Nest exceptions, so they would
 * otherwise answer 500; this gives each its status and a `{detail}` in plain words.
 */
export function explainUnreadableBody(
  error: unknown,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  if (!isReaderError(error)) {
    next(error);
    return;
  }
  const detail =
    (error.type && READER_MESSAGES[error.type]) ??
    (error.status === 400
      ? 'The request body could not be read (is its Content-Encoding right?)'
      : 'The request body could not be read');
  next(new HttpException({ detail }, error.status));
}

/**
 * Requests Node's HTTP parser refuses before Express sees them (a URL or headers beyond
 * its 16 KB limit, a malformed request line, headers or body not in within Node's request
 * timeout: 408 as Node itself would answer) get a JSON `{detail}` too, not a bare status.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, detail] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [
            '431 Request Header Fields Too Large',
            'The request line and headers are larger than the server accepts (16 KB)',
          ]
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', 'The request did not arrive in time; send it again']
          : ['400 Bad Request', 'The request is not valid HTTP'];
    const body = JSON.stringify({ detail });
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** What app.setup installs right after the JSON body parser. */
export function guardRequests(app: INestApplication): void {
  app.use(explainUnreadableBody);
  answerMalformedRequests(app.getHttpServer() as Server);
}
