import { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { AppLogger } from '../logging/app-logger.service';

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests and event
 * streams finish for up to `timeoutMs`, close what is left, then shut the modules down
 * (Nest's own shutdown hooks would close DuckDB and the sandboxes first, under running
 * requests). A second signal stops at once.
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
    await app.close();
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
