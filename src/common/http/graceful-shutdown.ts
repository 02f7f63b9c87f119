import { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { AppLogger } from '../logging/app-logger.service';

/** How long the modules get to shut down (jobs cancelled, DuckDB closed) after the drain. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests and event
 * streams finish for up to `timeoutMs`, close what is left, then shut the modules down
 * (Nest's own shutdown hooks would close DuckDB and the sandboxes first, under running
 * requests) and exit 0. Exits 1 when the modules take longer than CLOSE_TIMEOUT_MS to
 * shut down, and at once on a second signal.
 */
export function drainOnSignals(app: INestApplication, timeoutMs: number): void {
  const logger = app.get(AppLogger);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    const server = app.getHttpServer() as Server;
    logger.log({ msg: 'stopping: draining requests', signal, timeout_ms: timeoutMs }, 'Shutdown');
    const drained = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const inTime = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (!inTime) {
      logger.warn({ msg: 'drain deadline passed: closing open connections' }, 'Shutdown');
      server.closeAllConnections();
    }
    const closed = await Promise.race([
      app.close().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS)),
    ]);
    if (!closed) {
      logger.error({ msg: 'modules did not shut down in time: exiting' }, 'Shutdown');
      process.exit(1);
    }
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stop(signal).catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
    });
  }
}
