import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CodeRejected,
  JobNotFound,
  LimitReached,
  OutputNotAvailable,
  WorkNotAccepted,
} from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { sandboxConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import { CodeChecker, SandboxStatusProvider } from '../sandbox';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { DataSource, outputSource } from './data-source';
import { JobRecord, JobStatus, newJob } from './jobs/job';
import { JOB_MESSAGES } from './jobs/job-messages';
import { JobQueue, QueuedJob, QueueLimit, RunningJob } from './jobs/job-queue';
import { JobStore } from './jobs/job-store';
import { OutputStore } from './output-store.service';

/** `watch` reads the store every elapsed/20 ms, within these bounds: quick for short jobs. */
const WATCH_MIN_INTERVAL_MS = 5;
const WATCH_MAX_INTERVAL_MS = 250;
const WATCH_INTERVAL_DIVISOR = 20;

const ENDED: ReadonlySet<JobStatus> = new Set(['success', 'error']);

/**
 * Step 4, the accepting side: code is checked and queued (taking turns between clients and
 * then between their sessions, see JobQueue); JobRunner runs it where jobs run (this
 * process when embedded, a worker when distributed). Answers jobs from the JobStore.
 */
@Injectable()
export class ExecutionService implements BeforeApplicationShutdown {
  private closed = false;

  constructor(
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    private readonly sessions: SessionsService,
    private readonly checker: CodeChecker,
    private readonly sandboxStatus: SandboxStatusProvider,
    private readonly outputs: OutputStore,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
    private readonly queue: JobQueue,
    private readonly jobs: JobStore,
  ) {
    sessions.onSessionEnd((session) => this.endSession(session, JOB_MESSAGES.sessionEnded));
    sessions.provideJobs(async (sessionId) =>
      (await jobs.list(sessionId)).map((j) => ({
        id: j.id,
        status: j.status,
        createdAt: j.createdAt,
        executionTimeMs: j.executionTimeMs,
        outputRowCount: j.outputRowCount,
        sourceJobId: j.sourceJobId ?? null,
      })),
    );
    metrics.watchExecution(queue);
  }

  /**
   * Checks the code and queues a job; answers with its id at once. With `sourceJobId` the
   * job runs on that job's output instead of the upload (see `dataSource` for the errors).
   * With `reservedJobId` (see `reserve`) the job is that queued record rather than a new one;
   * on a refusal (limits, shutdown) it stays for the caller to fail.
   */
  async submit(
    sessionId: string,
    code: string,
    sourceJobId: string | null = null,
    reservedJobId: string | null = null,
  ): Promise<string> {
    await this.sessions.get(sessionId);
    const reserved = reservedJobId === null ? null : await this.get(sessionId, reservedJobId);
    if (reserved && reserved.status !== 'queued') throw new JobNotFound(reserved.id);
    if (sourceJobId !== null) await this.sourceJob(sessionId, sourceJobId);
    const refusal = this.sandboxStatus.refusal;
    if (refusal) throw new WorkNotAccepted(refusal);
    const violations = await this.checker.check(code);
    if (violations.length > 0) throw new CodeRejected(violations);
    // The session may have ended while the code was being checked.
    const session = await this.sessions.get(sessionId);
    if (this.closed) throw new WorkNotAccepted('The server is shutting down');
    const precheck = await this.queue.limitFor(session.owner, session.id);
    if (precheck) throw await this.refusal(precheck, session);
    const job = reserved
      ? ((await this.jobs.update(session.id, reserved.id, { sourceJobId, code })) ?? reserved)
      : newJob(randomUUID(), session.id, Date.now(), sourceJobId, code);
    if (!reserved) await this.jobs.create(job);
    // The record exists before the job can start; another submit may have taken the place.
    const limit = await this.queue.enqueue({
      jobId: job.id,
      sessionId: session.id,
      owner: session.owner,
      code,
      sourceJobId,
    });
    if (limit) {
      // A reserved record stays for its owner to end (failReserved).
      if (!reserved) await this.jobs.delete(session.id, job.id);
      throw await this.refusal(limit, session);
    }
    this.logger.log(
      { msg: 'job queued', session_id: session.id, job_id: job.id },
      'ExecutionService',
    );
    return job.id;
  }

  /**
   * Creates a `queued` job record that is not queued yet: a later step of a chain (a
   * recipe) whose source has not succeeded yet, so its id can be answered at once. Either
   * `submit(..., reservedJobId)` queues it, or `failReserved` ends it. SessionNotFound. A
   * restart finds it queued and fails it like any cut job.
   */
  async reserve(sessionId: string, sourceJobId: string | null): Promise<string> {
    const session = await this.sessions.get(sessionId);
    const job = newJob(randomUUID(), session.id, Date.now(), sourceJobId);
    await this.jobs.create(job);
    return job.id;
  }

  /** Ends a reserved job that will never be queued `error` with `message`; a no-op once gone. */
  async failReserved(sessionId: string, jobId: string, message: string): Promise<void> {
    const job = await this.jobs.get(sessionId, jobId);
    if (!job || job.status !== 'queued') return;
    await this.jobs.update(sessionId, jobId, {
      status: 'error',
      errorMessage: message,
      finishedAt: Date.now(),
    });
  }

  /**
   * The rows a step of session `sessionId` works on, in this process: the upload, or with
   * `sourceJobId` that job's output (chained steps). SessionNotFound; JobNotFound when the
   * job is not one of this session's; OutputNotAvailable when it has not succeeded (404s).
   */
  async dataSource(
    sessionId: string,
    sourceJobId: string | null = null,
  ): Promise<{ session: Session; source: DataSource }> {
    const session = await this.sessions.get(sessionId);
    if (sourceJobId === null) {
      const { columns, dtypes, rowCount } = session.dataset;
      return { session, source: { table: session.table, columns, dtypes, rowCount, jobId: null } };
    }
    const job = await this.sourceJob(sessionId, sourceJobId);
    return { session, source: await outputSource(this.outputs, session, job) };
  }

  /** The successful job of this session that a step runs on; JobNotFound, OutputNotAvailable. */
  private async sourceJob(sessionId: string, jobId: string): Promise<JobRecord> {
    const job = await this.jobs.get(sessionId, jobId);
    if (!job) throw new JobNotFound(jobId);
    if (job.status !== 'success' || !job.outputTable)
      throw new OutputNotAvailable(jobId, job.status);
    return job;
  }

  /** The job of a live session; SessionNotFound, JobNotFound (404) otherwise. */
  async get(sessionId: string, jobId: string): Promise<JobRecord> {
    await this.sessions.get(sessionId);
    const job = await this.jobs.get(sessionId, jobId);
    if (!job) throw new JobNotFound(jobId);
    return job;
  }

  /**
   * The job's record each time its status changes (the first as it is now), through the
   * JobStore, so it works wherever the job runs (this process or a worker); ends after
   * `success` or `error`, or silently when `signal` aborts. JobNotFound when the job or its
   * session goes meanwhile.
   */
  async *watch(sessionId: string, jobId: string, signal: AbortSignal): AsyncGenerator<JobRecord> {
    const started = Date.now();
    let last: JobStatus | null = null;
    while (!signal.aborted) {
      const job = await this.jobs.get(sessionId, jobId);
      if (!job) throw new JobNotFound(jobId);
      if (job.status !== last) {
        last = job.status;
        yield job;
      }
      if (ENDED.has(job.status)) return;
      const interval = Math.min(
        WATCH_MAX_INTERVAL_MS,
        Math.max(WATCH_MIN_INTERVAL_MS, (Date.now() - started) / WATCH_INTERVAL_DIVISOR),
      );
      await sleep(interval, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * Stops a job wherever it is: a waiting one never starts, a running one is killed. Either
   * way it ends `error` with `reason` (a sentence starting `cancelled: `). A job that has
   * already ended keeps its outcome.
   */
  async cancel(jobId: string, reason: string): Promise<void> {
    const removed = await this.queue.cancel({ jobId }, reason);
    await Promise.all(removed.map((item) => this.failStored(item, reason)));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    // Only this process's share: a distributed queue's waiting jobs stay for other workers.
    const waiting = await this.queue.cancel('local', JOB_MESSAGES.shuttingDown);
    await Promise.all(waiting.map((item) => this.failStored(item, JOB_MESSAGES.shuttingDown)));
    await this.queue.close();
  }

  /**
   * The 503 (everyone's queue) or 429 (this session's or client's share) for a cap,
   * naming it; the retry time is when the first running job that would free a place
   * reaches SANDBOX_TIMEOUT_SECONDS at the latest.
   */
  private async refusal(
    limit: QueueLimit,
    session: Session,
  ): Promise<LimitReached | WorkNotAccepted> {
    const frees = ({ job }: RunningJob): boolean =>
      limit === 'queue' ||
      (limit === 'session' ? job.sessionId === session.id : job.owner === session.owner);
    const starts = (await this.queue.running()).filter(frees).map((r) => r.startedAt);
    const retryAfterSeconds =
      starts.length === 0
        ? Math.ceil(this.cfg.timeoutMs / 1000)
        : Math.max(1, Math.ceil((Math.min(...starts) + this.cfg.timeoutMs - Date.now()) / 1000));
    const retry = `try again in ${retryAfterSeconds} s`;
    switch (limit) {
      case 'queue':
        return new WorkNotAccepted(
          `The job queue is full: ${this.cfg.maxQueuedJobs} jobs are waiting ` +
            `(SANDBOX_MAX_QUEUED_JOBS); ${retry}`,
          retryAfterSeconds,
        );
      case 'session':
        return new LimitReached(
          `This session already has ${this.cfg.maxQueuedJobsPerSession} jobs queued or running ` +
            `(MAX_QUEUED_JOBS_PER_SESSION); wait for one to finish, or ${retry}`,
          retryAfterSeconds,
        );
      case 'client':
        return new LimitReached(
          `You already have ${this.cfg.maxQueuedJobsPerClient} jobs waiting across your sessions ` +
            `(MAX_QUEUED_JOBS_PER_CLIENT); wait for some to start, or ${retry}`,
          retryAfterSeconds,
        );
    }
  }

  /**
   * The session ended: its queued jobs never start, running ones are killed and awaited,
   * then its job records go and their outputs' views and files with them (the session's
   * folder goes after this).
   */
  private async endSession(session: Session, reason: string): Promise<void> {
    // The waiting jobs' records are forgotten below with the rest.
    await this.queue.cancel({ sessionId: session.id }, reason);
    for (const job of await this.jobs.deleteSession(session.id))
      if (job.outputTable) await this.outputs.drop(job.outputTable);
  }

  private async failStored(item: QueuedJob, message: string): Promise<void> {
    await this.jobs.update(item.sessionId, item.jobId, {
      status: 'error',
      errorMessage: message,
      finishedAt: Date.now(),
    });
  }
}
