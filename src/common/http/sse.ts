import { applyDecorators } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'node:events';
import { AppLogger } from '../logging/app-logger.service';

/** Sent when the event source itself throws something unexpected after the stream started. */
const INTERNAL_ERROR_EVENT = { error: 'Internal server error', done: true } as const;

/**
 * An AbortController that aborts when the client goes away before the response is
 * complete. `close` on the response (not the request) is what fires for a dropped
 * connection once the request body has been read.
 */
export function abortOnClientGone(res: Response): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller;
}

/**
 * Writes each event as `data: <json>\n\n` the moment it arrives: headers are flushed
 * first, Nagle is off, nothing is buffered or compressed. The caller has already done
 * every check that can fail with a status code.
 */
export async function writeSse(
  res: Response,
  events: AsyncIterable<object>,
  controller: AbortController,
  logger: AppLogger,
): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  try {
    for await (const event of events) {
      if (controller.signal.aborted) break;
      if (!res.write(`data: ${JSON.stringify(event)}\n\n`)) await drained(res, controller.signal);
    }
  } catch (error) {
    if (!controller.signal.aborted) {
      logger.error(error instanceof Error ? error : new Error(String(error)), 'Sse');
      res.write(`data: ${JSON.stringify(INTERNAL_ERROR_EVENT)}\n\n`);
    }
  } finally {
    if (!res.writableEnded) res.end();
  }
}

/** Waits for a slow client to take the buffered events, or for it to leave. */
async function drained(res: Response, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  try {
    await once(res, 'drain', { signal });
  } catch {
    // Aborted: the loop sees the signal and stops.
  }
}

/** OpenAPI description of an endpoint that answers with the contract's event stream. */
export function ApiEventStream(description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiOkResponse({
      description:
        `${description} Server-sent events, one \`data:\` line of JSON each: ` +
        '`{"chunk": "...", "done": false}` zero or more times, then `{"done": true, "usage": {...}}` ' +
        'on success or `{"error": "...", "done": true}` on failure.',
      content: {
        'text/event-stream': {
          schema: { type: 'string' },
          example:
            'data: {"chunk": "## Objective\\n", "done": false}\n\n' +
            'data: {"done": true, "usage": {"input_tokens": 812, "output_tokens": 240, ' +
            '"cache_creation_input_tokens": 0, "cache_read_input_tokens": 1530}, "stop_reason": "end_turn"}\n\n',
        },
      },
    }),
    ApiNotFoundResponse({ description: 'Unknown or expired session (before any event)' }),
    ApiUnprocessableEntityResponse({
      description: 'Invalid request body: `{detail: [{loc, msg, type}]}`',
    }),
    ApiServiceUnavailableResponse({
      description: 'No API key configured; `detail` says how to set one',
    }),
  );
}
