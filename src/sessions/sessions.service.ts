import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Clock } from '../common/clock/clock';
import { LimitReached, SessionNotFound } from '../common/errors/domain-errors';
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
  /** Uploads under way per client, each holding a place among its sessions. */
  private readonly pending = new Map<string, number>();

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

  /**
   * Holds a place for a session the client is about to create (an upload under way);
   * call the returned function once it is created or failed. LimitReached (429) when the
   * client's live sessions and uploads under way already make MAX_SESSIONS_PER_CLIENT.
   */
  reserve(owner: string): () => void {
    this.assertRoom(owner, this.pending.get(owner) ?? 0);
    this.pending.set(owner, (this.pending.get(owner) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pending.get(owner) ?? 1) - 1;
      if (left > 0) this.pending.set(owner, left);
      else this.pending.delete(owner);
    };
  }

  /** `owner` is the uploading client's key; LimitReached (429) past MAX_SESSIONS_PER_CLIENT. */
  create(id: string, dataset: DatasetInfo, table: string, dir: string, owner: string): Session {
    this.assertRoom(owner, 0);
    const now = this.clock.now();
    const session: Session = {
      id,
      dataset,
      table,
      dir,
      createdAt: new Date(now),
      expiresAt: new Date(now + this.cfg.ttlMs),
      jobs: new Map(),
      owner,
    };
    this.sessions.set(id, session);
    this.logger.log(
      { msg: 'session created', session_id: id, rows: dataset.rowCount },
      'SessionsService',
    );
    return session;
  }

  private assertRoom(owner: string, pending: number): void {
    const now = this.clock.now();
    const expiries = [...this.sessions.values()]
      .filter((s) => s.owner === owner && s.expiresAt.getTime() > now)
      .map((s) => s.expiresAt.getTime());
    const max = this.cfg.maxPerClient;
    if (expiries.length + pending < max) return;
    const retryAfterSeconds =
      expiries.length === 0 ? 1 : Math.max(1, Math.ceil((Math.min(...expiries) - now) / 1000));
    const when =
      expiries.length === 0 ? 'when an upload under way has finished' : 'when the oldest expires';
    throw new LimitReached(
      `You already have ${max} sessions or uploads under way (MAX_SESSIONS_PER_CLIENT); ` +
        `delete a session (DELETE /sessions/{session_id}) or try again in ${retryAfterSeconds} s, ${when}`,
      retryAfterSeconds,
    );
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

  /** The sessions alive now; the start-up sweep keeps what these own (src/storage). */
  liveSessions(): Session[] {
    const now = this.clock.now();
    return [...this.sessions.values()].filter((s) => s.expiresAt.getTime() > now);
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
