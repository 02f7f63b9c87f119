import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogger } from '../common/logging/app-logger.service';
import { DuckDbService } from './duckdb.service';

const silentLogger = { log: () => undefined, error: () => undefined, warn: () => undefined };

describe('DuckDbService shutdown (real DuckDB)', () => {
  it('interrupts a running query instead of waiting for it on the event loop', async () => {
    const root = mkdtempSync(join(tmpdir(), 'duckdb-shutdown-'));
    const duckdb = new DuckDbService(
      { inboundDir: root, tempDir: join(root, 'tmp'), logDir: root },
      { memoryLimitMb: 256, threads: 1 },
      silentLogger as unknown as AppLogger,
    );
    await duckdb.onModuleInit();
    try {
      // Hours of work for one thread: only an interrupt ends it within the test's timeout.
      const query = duckdb.queryJson('SELECT sum(hash(i)) AS s FROM range(1000000000000) t(i)');
      const outcome = query.then(
        () => 'finished',
        (error: Error) => error.message,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await duckdb.onApplicationShutdown();
      expect(await outcome).toMatch(/interrupt/i);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);
});
