import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { join } from 'node:path';
import { StorageBudgetExceeded } from '../common/errors/domain-errors';
import { budgetConfig, storageConfig } from '../config/configuration';
import { DecodedFrame } from '../table-transfer/frame';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { directoryBytes, formatBytes, frameBytes } from './disk-usage';

/** Where uploads land while they arrive (multer), before a session owns them. */
export function incomingDir(inboundDir: string): string {
  return join(inboundDir, '.incoming');
}

/**
 * The storage budgets: SESSION_MAX_BYTES for one session (its folder: the upload and the
 * cached input and its jobs' outputs, which are Parquet files there, see output-store.service.ts)
 * and STORAGE_MAX_BYTES for all sessions and the uploads under way. Folders are measured on
 * disk when asked; an output about to be stored counts the bytes of its decoded frame.
 */
@Injectable()
export class StorageBudget {
  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(budgetConfig.KEY) private readonly cfg: ConfigType<typeof budgetConfig>,
    private readonly sessions: SessionsService,
  ) {}

  /** Bytes one session holds now. */
  async sessionBytes(session: Session): Promise<number> {
    return directoryBytes(session.dir);
  }

  /** Bytes all live sessions and the uploads under way hold now. */
  async totalBytes(): Promise<number> {
    const parts = await Promise.all([
      directoryBytes(incomingDir(this.storage.inboundDir)),
      ...(await this.sessions.liveSessions()).map((s) => this.sessionBytes(s)),
    ]);
    return parts.reduce((a, b) => a + b, 0);
  }

  /**
   * Refuses (StorageBudgetExceeded, 413) an upload of `bytes` that would pass a budget.
   * `landed`: the file is already in the incoming folder, so the total counts it.
   */
  async assertUploadFits(bytes: number, landed: boolean): Promise<void> {
    const { sessionMaxBytes, storageMaxBytes } = this.cfg;
    if (bytes > sessionMaxBytes) throw this.uploadOverSessionBudget(bytes);
    const total = (await this.totalBytes()) + (landed ? 0 : bytes);
    if (total > storageMaxBytes) throw this.storageFull(storageMaxBytes);
  }

  /**
   * Claims room for a job's output in its session; answers why not (naming the budget)
   * when it would pass one, else null. Once stored, the output's file counts in the folder.
   */
  async claimOutput(session: Session, frame: DecodedFrame): Promise<string | null> {
    const bytes = frameBytes(frame);
    const { sessionMaxBytes, storageMaxBytes } = this.cfg;
    const held = await this.sessionBytes(session);
    if (held + bytes > sessionMaxBytes) {
      return (
        `the output (${formatBytes(bytes)}) would take the session past its storage budget: ` +
        `SESSION_MAX_BYTES is ${formatBytes(sessionMaxBytes)} and the session holds ` +
        `${formatBytes(held)}; return fewer rows or columns, or start a new session`
      );
    }
    if ((await this.totalBytes()) + bytes > storageMaxBytes) {
      return `the output (${formatBytes(bytes)}) does not fit: ${this.storageFull(storageMaxBytes).message}`;
    }
    return null;
  }

  /** The refusal of an upload larger than SESSION_MAX_BYTES (`bytes` when known). */
  uploadOverSessionBudget(bytes?: number): StorageBudgetExceeded {
    const size = bytes === undefined ? '' : ` (${formatBytes(bytes)})`;
    return new StorageBudgetExceeded(
      `The file${size} is larger than a session may hold: ` +
        `SESSION_MAX_BYTES is ${formatBytes(this.cfg.sessionMaxBytes)}`,
    );
  }

  private storageFull(max: number): StorageBudgetExceeded {
    return new StorageBudgetExceeded(
      `The server's storage for sessions is full: STORAGE_MAX_BYTES is ${formatBytes(max)}; ` +
        'delete sessions you no longer need (DELETE /sessions/{session_id}) or try again later',
    );
  }
}
