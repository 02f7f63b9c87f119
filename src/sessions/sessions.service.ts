import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { Clock } from '../common/clock/clock';
import { LimitReached, SessionNotFound } from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { sessionConfig } from '../config/configuration';
import { CachedTableRepository } from '../duckdb/cached-table.repository';
import {
  DatasetInfo,
  Session,
  SessionJobSummary,
  sessionTableFile,
  sessionTableName,
} from './session';
import { SessionStore } from './session-store';
import { SweepLease } from './sweep-lease';

/** Called when a session ends (expiry, delete) so its owners can let go of it. */
export type SessionEndListener = (session: Session) => Promise<void> | void;

/** Answers a session's jobs, oldest first, for GET /sessions/{id} (execution registers it). */
export type SessionJobLister = (sessionId: string) => Promise<SessionJobSummary[]>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SWEEP_NAME = 'session-expiry-sweep';
/** Longer than a sweep takes; a node that dies holding it blocks others for this long only. */
const SWEEP_LEASE_MS = 60_000;

/**
 * Sessions with a TTL, kept in a SessionStore. A session's rows are a Parquet file in its
 * folder; `get` gives this process a view over it (once per process), so a session outlives
 * the process that made it. Ending one (expiry, delete) announces it (`onSessionEnd`:
 * execution lets go of its jobs there), then drops the view and removes the folder.
 * Shutdown ends none: they are there after a restart (expired ones go at start).
 */
@Injectable()
export class SessionsService implements OnModuleInit, OnApplicationShutdown {
  private readonly endListeners: SessionEndListener[] = [];
  private jobLister: SessionJobLister = async () => [];
  /** Uploads under way per client, each holding a place among its sessions. */
  private readonly pending = new Map<string, number>();
  /** Sessions whose view this process has (or is creating), by id. */
  private readonly attached = new Map<string, Promise<void>>();

  constructor(
    @Inject(sessionConfig.KEY) private readonly cfg: ConfigType<typeof sessionConfig>,
    private readonly store: SessionStore,
    private readonly tables: CachedTableRepository,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly logger: AppLogger,
    private readonly lease: SweepLease,
  ) {}

  /**
   * Ends the sessions that expired while the server was down, and those whose rows never
   * reached their file (a stop between an upload's answer and its Parquet write, see
   * UploadService), then sweeps on a timer.
   */
  async onModuleInit(): Promise<void> {
    await this.sweepExpired();
    for (const session of await this.liveSessions()) {
      const file = sessionTableFile(session);
      if (
        !(await stat(file).then(
          () => true,
          () => false,
        ))
      )
        await this.end(session, 'rows lost');
    }
    // Expiry is also checked on every lookup; the sweep is what frees disk and memory.
    const everyMs = Math.min(60_000, Math.max(1_000, Math.floor(this.cfg.ttlMs / 10)));
    const timer = setInterval(() => void this.sweepExpired(), everyMs);
    timer.unref();
    this.scheduler.addInterval(SWEEP_NAME, timer);
  }

  /** Sessions stay (in their store and folders) for the next start; only the timer goes. */
  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', SWEEP_NAME)) this.scheduler.deleteInterval(SWEEP_NAME);
  }

  onSessionEnd(listener: SessionEndListener): void {
    this.endListeners.push(listener);
  }

  /** Sets who answers a session's jobs (one lister; execution). */
  provideJobs(lister: SessionJobLister): void {
    this.jobLister = lister;
  }

  /** The session's jobs as its owner module describes them, oldest first. */
  jobsOf(sessionId: string): Promise<SessionJobSummary[]> {
    return this.jobLister(sessionId);
  }

  newId(): string {
    return randomUUID();
  }

  /**
   * Holds a place for a session the client is about to create (an upload under way);
   * call the returned function once it is created or failed. LimitReached (429) when the
   * client's live sessions and uploads under way already make MAX_SESSIONS_PER_CLIENT.
   */
  async reserve(owner: string): Promise<() => void> {
    // Counted before the check, so uploads checked at once each see the others.
    const pending = this.pending.get(owner) ?? 0;
    this.pending.set(owner, pending + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const left = (this.pending.get(owner) ?? 1) - 1;
      if (left > 0) this.pending.set(owner, left);
      else this.pending.delete(owner);
    };
    try {
      await this.assertRoom(owner, (this.pending.get(owner) ?? 1) - 1);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** `owner` is the uploading client's key; LimitReached (429) past MAX_SESSIONS_PER_CLIENT. */
  async create(
    id: string,
    dataset: DatasetInfo,
    table: string,
    dir: string,
    owner: string,
  ): Promise<Session> {
    await this.assertRoom(owner, 0);
    const now = this.clock.now();
    const session: Session = {
      id,
      dataset,
      table,
      dir,
      createdAt: now,
      expiresAt: now + this.cfg.ttlMs,
      owner,
    };
    await this.store.save(session);
    // The upload made the view in this process.
    this.attached.set(id, Promise.resolve());
    this.logger.log(
      { msg: 'session created', session_id: id, rows: dataset.rowCount },
      'SessionsService',
    );
    return session;
  }

  private async assertRoom(owner: string, pending: number): Promise<void> {
    const sessions = await this.store.list();
    const now = this.clock.now();
    const expiries = sessions
      .filter((s) => s.owner === owner && s.expiresAt > now)
      .map((s) => s.expiresAt);
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

  /**
   * The live session, its view (`session.table`) ready in this process; SessionNotFound
   * for unknown, malformed or expired ids.
   */
  async get(id: string): Promise<Session> {
    const session = UUID.test(id) ? await this.store.get(id) : undefined;
    if (!session) throw new SessionNotFound(id);
    if (session.expiresAt <= this.clock.now()) {
      void this.end(session, 'expired');
      throw new SessionNotFound(id);
    }
    await this.attach(session);
    return session;
  }

  /** Creates this process's view of the session's rows once (from its Parquet file). */
  private attach(session: Session): Promise<void> {
    let attaching = this.attached.get(session.id);
    if (!attaching) {
      attaching = this.tables.attach(session.table, sessionTableFile(session));
      this.attached.set(session.id, attaching);
      attaching.catch(() => {
        if (this.attached.get(session.id) === attaching) this.attached.delete(session.id);
      });
    }
    return attaching;
  }

  async has(id: string): Promise<boolean> {
    const session = UUID.test(id) ? await this.store.get(id) : undefined;
    return !!session && session.expiresAt > this.clock.now();
  }

  /** The sessions alive now; the start-up sweep keeps what these own (src/storage). */
  async liveSessions(): Promise<Session[]> {
    const now = this.clock.now();
    return (await this.store.list()).filter((s) => s.expiresAt > now);
  }

  async delete(id: string): Promise<void> {
    await this.end(await this.get(id), 'deleted');
  }

  /**
   * Ends the expired sessions; drops the views of sessions another process ended. Answers
   * how many sessions ended.
   */
  async sweepExpired(): Promise<number> {
    const now = this.clock.now();
    const sessions = await this.store.list();
    const expired = sessions.filter((s) => s.expiresAt <= now);
    // One node ends them (a lease); ending is once-only anyway (store.delete answers true once).
    let ended = 0;
    await this.lease.runExclusive(SWEEP_LEASE_MS, async () => {
      await Promise.all(expired.map((s) => this.end(s, 'expired')));
      ended = expired.length;
    });
    const stored = new Set(sessions.map((s) => s.id));
    for (const id of [...this.attached.keys()].filter((id) => !stored.has(id))) {
      if (await this.store.get(id)) continue; // created since the list was taken
      this.attached.delete(id);
      await this.tables.drop(sessionTableName(id)).catch(() => undefined);
    }
    return ended;
  }

  private async end(session: Session, reason: string): Promise<void> {
    if (!(await this.store.delete(session.id))) return;
    for (const listener of this.endListeners) {
      try {
        await listener(session);
      } catch (error) {
        this.logger.error(error, { session_id: session.id }, 'SessionsService');
      }
    }
    await this.attached.get(session.id)?.catch(() => undefined);
    this.attached.delete(session.id);
    await this.tables.drop(session.table).catch(() => undefined);
    await rm(session.dir, { recursive: true, force: true });
    this.logger.log({ msg: 'session ended', session_id: session.id, reason }, 'SessionsService');
  }
}
