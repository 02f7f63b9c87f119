import { ArgumentsHost, BadRequestException, HttpStatus } from '@nestjs/common';
import {
  CodeRejected,
  JobNotFound,
  LimitReached,
  ModelUnavailable,
  OutputNotAvailable,
  SessionNotFound,
  UploadRejected,
  UploadTooLarge,
  UnusableRequest,
  WorkNotAccepted,
} from '../errors/domain-errors';
import { AppLogger } from '../logging/app-logger.service';
import { GlobalExceptionFilter } from './global-exception.filter';

function fakeHttp(headersSent = false) {
  const res = {
    headersSent,
    writableEnded: false,
    statusCode: 0,
    body: undefined as unknown,
    ended: false,
    headers: {} as Record<string, string>,
    setHeader(name: string, value: string) {
      this.headers[name] = value;
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
    },
    end() {
      this.ended = true;
    },
  };
  const host = {
    switchToHttp: () => ({
      getResponse: () => res,
      getRequest: () => ({ method: 'GET', path: '/x' }),
    }),
  } as unknown as ArgumentsHost;
  return { res, host };
}

describe('GlobalExceptionFilter', () => {
  const logged: unknown[] = [];
  const logger = { error: (e: unknown) => logged.push(e) } as unknown as AppLogger;
  const filter = new GlobalExceptionFilter(logger);

  it.each([
    [new SessionNotFound('abc'), HttpStatus.NOT_FOUND, "Session 'abc' not found"],
    [new JobNotFound('j'), HttpStatus.NOT_FOUND, "Job 'j' not found"],
    [new OutputNotAvailable('j', 'error'), HttpStatus.NOT_FOUND, /no output/],
    [new UploadTooLarge(1024 * 1024), HttpStatus.PAYLOAD_TOO_LARGE, /1 MB/],
    [new UploadRejected('The file is empty'), HttpStatus.BAD_REQUEST, 'The file is empty'],
    [new CodeRejected(['line 1: import os']), HttpStatus.BAD_REQUEST, /import os/],
    [new UnusableRequest('Unknown format'), HttpStatus.BAD_REQUEST, 'Unknown format'],
    [
      new ModelUnavailable('Set ANTHROPIC_API_KEY'),
      HttpStatus.SERVICE_UNAVAILABLE,
      /ANTHROPIC_API_KEY/,
    ],
    [new WorkNotAccepted('busy'), HttpStatus.SERVICE_UNAVAILABLE, 'busy'],
  ])('maps %p', (error, status, detail) => {
    const { res, host } = fakeHttp();
    filter.catch(error, host);
    expect(res.statusCode).toBe(status);
    expect((res.body as { detail: string }).detail).toMatch(detail);
  });

  it('sends Retry-After in whole seconds (at least 1) when the error carries one', () => {
    const limited = fakeHttp();
    filter.catch(new LimitReached('You already have 10 model streams open', 2.2), limited.host);
    expect(limited.res).toMatchObject({ statusCode: 429, headers: { 'Retry-After': '3' } });
    const busy = fakeHttp();
    filter.catch(new WorkNotAccepted('The job queue is full', 0), busy.host);
    expect(busy.res).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '1' } });
    const plain = fakeHttp();
    filter.catch(new WorkNotAccepted('The server is shutting down'), plain.host);
    expect(plain.res.headers).toEqual({});
  });

  it('keeps HttpException messages in the {detail} shape', () => {
    const { res, host } = fakeHttp();
    filter.catch(new BadRequestException('nope'), host);
    expect(res).toMatchObject({ statusCode: 400, body: { detail: 'nope' } });
  });

  it('hides unknown errors behind a generic 500 and logs them', () => {
    const { res, host } = fakeHttp();
    logged.length = 0;
    filter.catch(new Error('ENOENT: /srv/secret/path'), host);
    expect(res).toMatchObject({ statusCode: 500, body: { detail: 'Internal server error' } });
    expect(logged).toHaveLength(1);
  });

  it('only ends a response whose stream already started', () => {
    const { res, host } = fakeHttp(true);
    filter.catch(new Error('late'), host);
    expect(res.ended).toBe(true);
    expect(res.body).toBeUndefined();
  });
});
