import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Clock } from '../common/clock/clock';
import { SessionNotFound } from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { sessionConfig } from '../config/configuration';
import { DuckDbService, quoteIdent } from '../duckdb/duckdb.service';
import { DatasetInfo, Session } from './session';

/** Called when a session ends (expiry, delete, shutdown) so its owners can let go of it. */
export type SessionEndListener = (session: Session) => Promise<void> | void;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SWEEP_NAME = 'session-expiry-sweep';

/** In-memory sessions with a TTL; ending one removes its files, cached tables and jobs. */
@Injectable()
export class SessionsService implements OnModuleInit, OnApplicationShutdown {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners: SessionEndListener[] = [];

  constructor(
    @Inject(sessionConfig.KEY) private readonly cfg: ConfigType<typeof sessionConfig>,
    private readonly duckdb: DuckDbService,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    // Expiry is also checked on every lookup; the sweep is what frees disk and memory.
    const everyMs = Math.min(60_000, Math.max(1_000, Math.floor(this.cfg.ttlMs / 10)));
    const timer = setInterval(() => void this.sweepExpired(), everyMs);
    timer.unref();
    this.scheduler.addInterval(SWEEP_NAME, timer);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', SWEEP_NAME)) this.scheduler.deleteInterval(SWEEP_NAME);
    await Promise.all([...this.sessions.values()].map((s) => this.end(s, 'shutdown')));
  }

  onSessionEnd(listener: SessionEndListener): void {
    this.endListeners.push(listener);
  }

  newId(): string {
    return randomUUID();
  }

  create(id: string, dataset: DatasetInfo, table: string, dir: string): Session {
    const now = this.clock.now();
    const session: Session = {
      id,
      dataset,
      table,
      dir,
      createdAt: new Date(now),
      expiresAt: new Date(now + this.cfg.ttlMs),
      jobs: new Map(),
    };
    this.sessions.set(id, session);
    this.logger.log(
      { msg: 'session created', session_id: id, rows: dataset.rowCount },
      'SessionsService',
    );
    return session;
  }

  /** The live session, or SessionNotFound for unknown, malformed or expired ids. */
  get(id: string): Session {
    const session = UUID.test(id) ? this.sessions.get(id) : undefined;
    if (!session) throw new SessionNotFound(id);
    if (session.expiresAt.getTime() <= this.clock.now()) {
      void this.end(session, 'expired');
      throw new SessionNotFound(id);
    }
    return session;
  }

  has(id: string): boolean {
    const session = this.sessions.get(id);
    return !!session && session.expiresAt.getTime() > this.clock.now();
  }

  async delete(id: string): Promise<void> {
    await this.end(this.get(id), 'deleted');
  }

  async sweepExpired(): Promise<number> {
    const now = this.clock.now();
    const expired = [...this.sessions.values()].filter((s) => s.expiresAt.getTime() <= now);
    await Promise.all(expired.map((s) => this.end(s, 'expired')));
    return expired.length;
  }

  private async end(session: Session, reason: string): Promise<void> {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    for (const listener of this.endListeners) {
      try {
        await listener(session);
      } catch (error) {
        this.logger.error(error, { session_id: session.id }, 'SessionsService');
      }
    }
    const tables = [session.table, ...[...session.jobs.values()].map((j) => j.outputTable)];
    for (const table of tables) {
      if (table)
        await this.duckdb.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
    }
    session.jobs.clear();
    await rm(session.dir, { recursive: true, force: true });
    this.logger.log({ msg: 'session ended', session_id: session.id, reason }, 'SessionsService');
  }
}
