import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  CodeRejected,
  JobNotFound,
  LimitReached,
  WorkNotAccepted,
} from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { requestContext } from '../common/logging/request-context';
import { sandboxConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import { CodeChecker, SandboxRunner, SandboxStatusProvider } from '../sandbox';
import { Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { StorageBudget } from '../storage/storage-budget.service';
import { InputCache } from './input-cache.service';
import { JobRecord, newJob } from './jobs/job';
import { JobQueue, QueuedJob, QueueLimit, RunningJob } from './jobs/job-queue';
import { JobStore, JobUpdate } from './jobs/job-store';
import { OutputStore } from './output-store.service';

const SESSION_ENDED = 'cancelled: the session ended';
const SHUTTING_DOWN = 'cancelled: the server is shutting down';
const INTERNAL_ERROR = 'the job could not be run because of an internal error';

/**
 * Step 4: code is checked, queued (SANDBOX_MAX_CONCURRENCY at a time, taking turns
 * between clients and then between their sessions, see JobQueue) and run in a fresh
 * sandbox against the session's data; the output lands in DuckDB.
 */
@Injectable()
export class ExecutionService implements BeforeApplicationShutdown {
  private closed = false;
  /** Storage budgets (src/storage): an output that would pass one fails its job. */
  @Inject(StorageBudget) private readonly budget!: StorageBudget;

  constructor(
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    private readonly sessions: SessionsService,
    private readonly checker: CodeChecker,
    private readonly sandbox: SandboxRunner,
    private readonly sandboxStatus: SandboxStatusProvider,
    private readonly inputs: InputCache,
    private readonly outputs: OutputStore,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
    private readonly queue: JobQueue,
    private readonly jobs: JobStore,
  ) {
    // A job starts from whichever request's completion woke the queue: its log lines must
    // not carry that request's id.
    queue.process((item, signal) => requestContext.exit(() => this.runJob(item, signal)));
    sessions.onSessionEnd((session) => this.endSession(session, SESSION_ENDED));
    sessions.provideJobs(async (sessionId) =>
      (await jobs.list(sessionId)).map((j) => ({
        id: j.id,
        status: j.status,
        createdAt: j.createdAt,
        executionTimeMs: j.executionTimeMs,
        outputRowCount: j.outputRowCount,
      })),
    );
    metrics.watchExecution(queue);
  }

  /** Checks the code and queues a job; answers with its id at once. */
  async submit(sessionId: string, code: string): Promise<string> {
    await this.sessions.get(sessionId);
    const refusal = this.sandboxStatus.refusal;
    if (refusal) throw new WorkNotAccepted(refusal);
    const violations = await this.checker.check(code);
    if (violations.length > 0) throw new CodeRejected(violations);
    // The session may have ended while the code was being checked.
    const session = await this.sessions.get(sessionId);
    if (this.closed) throw new WorkNotAccepted('The server is shutting down');
    const precheck = await this.queue.limitFor(session.owner, session.id);
    if (precheck) throw await this.refusal(precheck, session);
    const job = newJob(randomUUID(), session.id, Date.now());
    await this.jobs.create(job);
    // The record exists before the job can start; another submit may have taken the place.
    const limit = await this.queue.enqueue({
      jobId: job.id,
      sessionId: session.id,
      owner: session.owner,
      code,
    });
    if (limit) {
      await this.jobs.delete(session.id, job.id);
      throw await this.refusal(limit, session);
    }
    this.logger.log(
      { msg: 'job queued', session_id: session.id, job_id: job.id },
      'ExecutionService',
    );
    return job.id;
  }

  /** The job of a live session; SessionNotFound, JobNotFound (404) otherwise. */
  async get(sessionId: string, jobId: string): Promise<JobRecord> {
    await this.sessions.get(sessionId);
    const job = await this.jobs.get(sessionId, jobId);
    if (!job) throw new JobNotFound(jobId);
    return job;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    const waiting = await this.queue.cancel('all', SHUTTING_DOWN);
    await Promise.all(waiting.map((item) => this.failStored(item, SHUTTING_DOWN)));
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
    this.sandbox.forget(session.id);
    // The waiting jobs' records are forgotten below with the rest.
    await this.queue.cancel({ sessionId: session.id }, reason);
    for (const job of await this.jobs.deleteSession(session.id))
      if (job.outputTable) await this.outputs.drop(job.outputTable);
  }

  private fail(job: JobRecord, message: string): void {
    job.status = 'error';
    job.errorMessage = message;
    job.finishedAt = Date.now();
  }

  private async failStored(item: QueuedJob, message: string): Promise<void> {
    await this.jobs.update(item.sessionId, item.jobId, {
      status: 'error',
      errorMessage: message,
      finishedAt: Date.now(),
    });
  }

  /** The queue's handler: runs one job and records its outcome in the job store. */
  private async runJob(item: QueuedJob, signal: AbortSignal): Promise<void> {
    const { code } = item;
    const session = await this.sessions.get(item.sessionId).catch(() => undefined);
    const record = session && (await this.jobs.get(item.sessionId, item.jobId));
    // Gone means the session ended, and its end cancels and forgets its jobs.
    if (!session || !record) return;
    // A working copy, written back to the store when the job ends.
    const job: JobRecord = { ...record, status: 'running', startedAt: Date.now() };
    await this.jobs.update(session.id, job.id, { status: job.status, startedAt: job.startedAt });
    const started = Date.now();
    // Where the time goes, for the log line: input export, sandbox run, storing the output.
    const phases: Record<string, number> = { queued_ms: started - job.createdAt };
    let mark = started;
    const lap = (name: string): void => {
      const now = Date.now();
      phases[name] = now - mark;
      mark = now;
    };
    const cancelled = (): string =>
      typeof signal.reason === 'string' ? signal.reason : SESSION_ENDED;
    try {
      const inputFile = await this.inputs.fileFor(session);
      lap('input_ms');
      if (signal.aborted) return this.fail(job, cancelled());
      const result = await this.sandbox.run({
        key: session.id,
        inputFile,
        code,
        resultFile: join(session.dir, `result-${job.id}.frame`),
        signal,
      });
      lap('sandbox_ms');
      job.stdout = result.stdout;
      job.stderr = result.stderr;
      if (signal.aborted) return this.fail(job, cancelled());
      if (result.status === 'error') return this.fail(job, result.errorMessage);
      const overBudget = await this.budget.claimOutput(session, result.frame);
      if (overBudget) return this.fail(job, overBudget);
      const stored = await this.outputs.save(result.frame, session.dir);
      lap('store_ms');
      if (signal.aborted) {
        // The session's tables were dropped while this one was being written.
        await this.outputs.drop(stored.table);
        return this.fail(job, cancelled());
      }
      job.outputTable = stored.table;
      job.outputColumns = stored.columns.map((c) => c.name);
      job.outputSchema = stored.columns;
      job.outputRowCount = stored.rows;
      job.warnings = stored.warnings;
      const preview = await this.outputs.preview(
        stored.table,
        stored.columns,
        this.cfg.previewRowCount,
      );
      job.previewRows = preview.rows;
      job.warnings = [...stored.warnings, ...preview.warnings];
      lap('preview_ms');
      job.status = 'success';
      job.finishedAt = Date.now();
    } catch (error) {
      this.logger.error(error, { session_id: session.id, job_id: job.id }, 'ExecutionService');
      this.fail(job, signal.aborted ? cancelled() : INTERNAL_ERROR);
    } finally {
      job.executionTimeMs = Date.now() - started;
      await this.jobs.update(session.id, job.id, outcomeOf(job));
      this.metrics.jobFinished(job.status, job.executionTimeMs);
      this.logger.log(
        {
          msg: 'job finished',
          session_id: session.id,
          job_id: job.id,
          status: job.status,
          ms: job.executionTimeMs,
          ...phases,
        },
        'ExecutionService',
      );
    }
  }
}

/** What a run changes in a job record. */
function outcomeOf(job: JobRecord): JobUpdate {
  return {
    status: job.status,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    executionTimeMs: job.executionTimeMs,
    errorMessage: job.errorMessage,
    stdout: job.stdout,
    stderr: job.stderr,
    outputRowCount: job.outputRowCount,
    outputColumns: job.outputColumns,
    outputSchema: job.outputSchema,
    previewRows: job.previewRows,
    warnings: job.warnings,
    outputTable: job.outputTable,
  };
}
