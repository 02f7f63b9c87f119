import { LoggerService, LogLevel } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import pino, { Logger } from 'pino';
import { createStream, RotatingFileStream } from 'rotating-file-stream';
import { currentRequestId } from './request-context';

export interface AppLoggerOptions {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  dir: string;
  maxBytes: number;
  backupCount: number;
  secrets: string[];
  /** Set false in tests that only want the file. */
  stdout?: boolean;
}

const REDACTED = '[REDACTED]';
const LOG_FILE = 'app.log';

/** rotating-file-stream passes the rotation index (0 for the live file) in `rotate` mode. */
function rotatedName(first: number | Date | null, second?: number): string {
  const index = typeof first === 'number' ? first : (second ?? 0);
  return index ? `${LOG_FILE}.${index}` : LOG_FILE;
}
const API_KEY_PATTERN = /sk-ant-[A-Za-z0-9_-]{8,}/g;

/**
 * Structured JSON logs to stdout and to a size-rotated file (rotating-file-stream).
 * Every line carries the request id of the request it belongs to; configured secrets
 * and anything shaped like an Anthropic key are replaced before writing.
 */
export class AppLogger implements LoggerService {
  private readonly logger: Logger;
  private readonly file: RotatingFileStream;

  constructor(private readonly options: AppLoggerOptions) {
    mkdirSync(options.dir, { recursive: true });
    // Classic numbered rotation, like Python's RotatingFileHandler: app.log, app.log.1, ...
    this.file = createStream(rotatedName, {
      path: options.dir,
      size: `${Math.max(1, Math.floor(options.maxBytes / 1024))}K`,
      rotate: Math.max(1, options.backupCount),
    });
    const streams: pino.StreamEntry[] = [{ stream: this.file, level: options.level }];
    if (options.stdout !== false) streams.push({ stream: process.stdout, level: options.level });
    this.logger = pino(
      {
        level: options.level,
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => {
          const requestId = currentRequestId();
          return requestId ? { request_id: requestId } : {};
        },
        hooks: {
          streamWrite: (line) => this.scrub(line),
        },
        redact: {
          paths: ['apiKey', 'api_key', '*.apiKey', 'headers.authorization', 'headers["x-api-key"]'],
          censor: REDACTED,
        },
      },
      pino.multistream(streams),
    );
  }

  /** The underlying pino logger, for pino-http; its lines pass the same scrub. */
  get pino(): Logger {
    return this.logger;
  }

  private scrub(line: string): string {
    let out = line.replace(API_KEY_PATTERN, REDACTED);
    for (const secret of this.options.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }

  private write(
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    message: unknown,
    params: unknown[],
  ): void {
    const context =
      typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    for (const p of params) {
      if (typeof p === 'string') fields.stack = p;
      else if (p && typeof p === 'object') Object.assign(fields, p);
    }
    if (message instanceof Error) {
      this.logger[level](
        { ...fields, err: { name: message.name, message: message.message, stack: message.stack } },
        message.message,
      );
    } else if (message && typeof message === 'object') {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...rest }, typeof msg === 'string' ? msg : '');
    } else {
      this.logger[level](fields, String(message));
    }
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // Level comes from LOG_LEVEL; Nest's own level list is not used.
  }

  /** Flushes and closes the log file (graceful shutdown). */
  async close(): Promise<void> {
    this.logger.flush();
    await new Promise<void>((resolve) => this.file.end(resolve));
  }
}
