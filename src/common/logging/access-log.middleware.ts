import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { Metrics } from '../../metrics/metrics.service';
import { REQUEST_ID_HEADER, requestIdFor } from '../http/request-id.middleware';
import { AppLogger } from './app-logger.service';
import { requestContext } from './request-context';

/** Requests that matched no route share one label, so probes of random paths stay one series. */
const UNMATCHED = '(unmatched)';
const bytesSent = Symbol('bytesSent');
/** nginx's 499 for a response the client went away from before it was complete. */
const statusOf = (res: ServerResponse): number => (res.writableFinished ? res.statusCode : 499);
type CountedResponse = ServerResponse & { [bytesSent]?: number };

/** The Express route pattern (`/api/v1/execute/:session_id/:job_id`), once routing matched. */
function routeOf(req: IncomingMessage): string | undefined {
  const route = (req as Request).route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : undefined;
}

/** Counts body bytes as they are written: streamed responses (SSE, downloads) have no length. */
function countBodyBytes(res: CountedResponse): void {
  res[bytesSent] = 0;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const add = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string') {
      res[bytesSent]! += Buffer.byteLength(
        chunk,
        typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
      );
    } else if (chunk instanceof Uint8Array) res[bytesSent]! += chunk.byteLength;
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    add(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') add(chunk, rest[0]);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
}

/**
 * The first middleware: gives the request its id (X-Request-ID, echoed on the response and
 * carried by every log line of the request) and writes one access-log line when the response
 * ends: method, route pattern, status, duration, request id, body bytes. Never headers or
 * bodies, so neither the bearer token nor the API key can reach the log this way. Also
 * records the request in the HTTP duration histogram.
 */
export function accessLog(logger: AppLogger, metrics: Metrics): RequestHandler {
  const fields = (req: IncomingMessage, res: CountedResponse, durationMs: number) => {
    const route = routeOf(req);
    return {
      method: req.method,
      route: route ?? UNMATCHED,
      ...(route ? {} : { path: (req as Request).path }),
      status: statusOf(res),
      duration_ms: durationMs,
      request_id: req.id as string,
      bytes: res[bytesSent] ?? 0,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
  };
  const http = pinoHttp({
    logger: logger.pino.child({ context: 'access' }),
    genReqId: (req, res) => {
      const id = requestIdFor(req);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    // No req/res objects in the line: they would carry headers (the token) and more.
    wrapSerializers: false,
    serializers: { req: () => undefined, res: () => undefined },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessObject: (req, res, value: { responseTime: number }) =>
      fields(req, res, value.responseTime),
    customErrorObject: (req, res, _error, value: { responseTime: number }) =>
      fields(req, res, value.responseTime),
    customSuccessMessage: (req, res) =>
      `${req.method} ${routeOf(req) ?? UNMATCHED} ${statusOf(res)}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req) ?? UNMATCHED} ${statusOf(res)}`,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    countBodyBytes(res);
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.observeHttp(req.method, routeOf(req) ?? UNMATCHED, statusOf(res), seconds);
    });
    http(req, res, () => requestContext.run({ requestId: req.id as string }, next));
  };
}
