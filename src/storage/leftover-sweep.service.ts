import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogger } from '../common/logging/app-logger.service';
import { removeLeftovers } from '../common/process-scoped-dir';
import { queueConfig, storageConfig } from '../config/configuration';
import { SPILL_DIR_PREFIX } from '../duckdb/duckdb.service';
import { EXPORTS_DIR } from '../execution/output-export.service';
import { WORKSPACE_DIR_PREFIX } from '../sandbox';
import { SessionsService } from '../sessions/sessions.service';
import { incomingDir } from './storage-budget.service';

const DISTRIBUTED_ORPHAN_AGE_MS = 3_600_000;
const SESSION_DIR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the start-up sweep removed, by kind (paths). */
export interface SweepReport {
  sessionDirs: string[];
  incomingFiles: string[];
  spillDirs: string[];
  exportFiles: string[];
  workspaceDirs: string[];
}

/**
 * At start, removes what an unclean exit (crash, kill -9) left on disk: session folders in
 * INBOUND_DIR that no live session owns (SessionsService.liveSessions), and the uploads under
 * way, DuckDB spill folders, export files and sandbox workspaces of processes that are gone
 * (their names carry their maker, see process-scoped-dir.ts, so a server sharing the folders
 * keeps its own). Other entries of INBOUND_DIR (recipes, ...) are never touched.
 */
@Injectable()
export class LeftoverSweep implements OnApplicationBootstrap {
  constructor(
    @Inject(storageConfig.KEY) private readonly cfg: ConfigType<typeof storageConfig>,
    @Inject(queueConfig.KEY) private readonly queue: ConfigType<typeof queueConfig>,
    private readonly sessions: SessionsService,
    private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const report = await this.sweep();
    const counts = Object.fromEntries(
      Object.entries(report).map(([kind, paths]: [string, string[]]) => [kind, paths.length]),
    );
    if (Object.values(counts).some((n) => n > 0)) {
      this.logger.log({ msg: 'removed leftovers of an unclean exit', ...counts }, 'LeftoverSweep');
    }
  }

  async sweep(): Promise<SweepReport> {
    const { inboundDir, tempDir } = this.cfg;
    const [sessionDirs, incomingFiles, spillDirs, exportFiles, inTemp, inSystemTemp] =
      await Promise.all([
        this.orphanSessionDirs(),
        removeLeftovers(incomingDir(inboundDir), ''),
        removeLeftovers(tempDir, SPILL_DIR_PREFIX),
        removeLeftovers(join(tempDir, EXPORTS_DIR), ''),
        removeLeftovers(tempDir, WORKSPACE_DIR_PREFIX),
        // Workspaces live in the system temp directory when the server runs as root.
        removeLeftovers(tmpdir(), WORKSPACE_DIR_PREFIX),
      ]);
    return {
      sessionDirs,
      incomingFiles,
      spillDirs,
      exportFiles,
      workspaceDirs: [...inTemp, ...inSystemTemp],
    };
  }

  private async orphanSessionDirs(): Promise<string[]> {
    const live = new Set((await this.sessions.liveSessions()).map((s) => s.id));
    const entries = await readdir(this.cfg.inboundDir, { withFileTypes: true }).catch(() => []);
    const candidates = entries
      .filter((e) => e.isDirectory() && SESSION_DIR.test(e.name) && !live.has(e.name))
      .map((e) => join(this.cfg.inboundDir, e.name));
    // Distributed, another node may be writing a folder for an upload under way (its session
    // is stored last): only folders untouched for an hour are orphans there.
    const cutoff = this.queue.redisUrl ? Date.now() - DISTRIBUTED_ORPHAN_AGE_MS : Infinity;
    const ages = await Promise.all(
      candidates.map((dir) =>
        stat(dir).then(
          (s) => s.mtimeMs,
          () => -Infinity,
        ),
      ),
    );
    const orphans = candidates.filter((_, i) => ages[i] < cutoff);
    await Promise.all(orphans.map((dir) => rm(dir, { recursive: true, force: true })));
    return orphans;
  }
}
