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
import { sandboxConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import { CodeChecker, SandboxRunner, SandboxStatusProvider } from '../sandbox';
import { JobRecord, Session } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { StorageBudget } from '../storage/storage-budget.service';
import { InputCache } from './input-cache.service';
import { JobQueue, QueueKey, QueueLimit } from './job-queue';
import { OutputStore } from './output-store.service';

interface QueuedJob {
  session: Session;
  job: JobRecord;
  code: string;
}

interface RunningJob {
  sessionId: string;
  client: string;
  startedAtMs: number;
  controller: AbortController;
  done: Promise<void>;
}

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
  private readonly queue: JobQueue<QueuedJob>;
  private readonly running = new Map<string, RunningJob>();
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
  ) {
    this.queue = new JobQueue<QueuedJob>(
      {
        concurrency: cfg.maxConcurrency,
        maxQueued: cfg.maxQueuedJobs,
        maxPerSession: cfg.maxQueuedJobsPerSession,
        maxQueuedPerClient: cfg.maxQueuedJobsPerClient,
      },
      queueKeyOf,
      (item) => this.execute(item),
      (error) => this.logger.error(error, 'ExecutionService'),
    );
    sessions.onSessionEnd((session) => this.cancelSession(session, SESSION_ENDED));
    metrics.watchExecution(this.queue);
  }

  /** Checks the code and queues a job; answers with its id at once. */
  async submit(sessionId: string, code: string): Promise<string> {
    this.sessions.get(sessionId);
    const refusal = this.sandboxStatus.refusal;
    if (refusal) throw new WorkNotAccepted(refusal);
    const violations = await this.checker.check(code);
    if (violations.length > 0) throw new CodeRejected(violations);
    // The session may have ended while the code was being checked.
    const session = this.sessions.get(sessionId);
    if (this.closed) throw new WorkNotAccepted('The server is shutting down');
    const limit = this.queue.limitFor(queueKeyOf({ session }));
    if (limit) throw this.refusal(limit, session);
    const job: JobRecord = {
      id: randomUUID(),
      status: 'queued',
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      executionTimeMs: null,
      errorMessage: null,
      stdout: '',
      stderr: '',
      outputRowCount: null,
      outputColumns: [],
      outputSchema: [],
      previewRows: [],
      warnings: [],
      outputTable: null,
    };
    session.jobs.set(job.id, job);
    // Nothing ran since limitFor above, so the queue takes it.
    this.queue.push({ session, job, code });
    this.logger.log(
      { msg: 'job queued', session_id: session.id, job_id: job.id },
      'ExecutionService',
    );
    return job.id;
  }

  get(sessionId: string, jobId: string): JobRecord {
    const job = this.sessions.get(sessionId).jobs.get(jobId);
    if (!job) throw new JobNotFound(jobId);
    return job;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const item of this.queue.remove(() => true)) this.fail(item.job, SHUTTING_DOWN);
    const running = [...this.running.values()];
    for (const r of running) r.controller.abort(SHUTTING_DOWN);
    await Promise.all(running.map((r) => r.done));
  }

  /**
   * The 503 (everyone's queue) or 429 (this session's or client's share) for a cap,
   * naming it; the retry time is when the first running job that would free a place
   * reaches SANDBOX_TIMEOUT_SECONDS at the latest.
   */
  private refusal(limit: QueueLimit, session: Session): LimitReached | WorkNotAccepted {
    const key = queueKeyOf({ session });
    const frees = (r: RunningJob): boolean =>
      limit === 'queue' ||
      (limit === 'session' ? r.sessionId === key.session : r.client === key.client);
    const starts = [...this.running.values()].filter(frees).map((r) => r.startedAtMs);
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

  /** Queued jobs of the session never start; running ones are killed and awaited. */
  private async cancelSession(session: Session, reason: string): Promise<void> {
    this.sandbox.forget(session.id);
    for (const item of this.queue.remove((q) => q.session.id === session.id))
      this.fail(item.job, reason);
    const running = [...this.running.values()].filter((r) => r.sessionId === session.id);
    for (const r of running) r.controller.abort(reason);
    await Promise.all(running.map((r) => r.done));
  }

  private fail(job: JobRecord, message: string): void {
    job.status = 'error';
    job.errorMessage = message;
    job.finishedAt = new Date();
  }

  private execute(item: QueuedJob): Promise<void> {
    const controller = new AbortController();
    const done = this.runJob(item, controller.signal).finally(() =>
      this.running.delete(item.job.id),
    );
    this.running.set(item.job.id, {
      sessionId: item.session.id,
      client: queueKeyOf(item).client,
      startedAtMs: Date.now(),
      controller,
      done,
    });
    return done;
  }

  private async runJob({ session, job, code }: QueuedJob, signal: AbortSignal): Promise<void> {
    job.status = 'running';
    job.startedAt = new Date();
    const started = Date.now();
    // Where the time goes, for the log line: input export, sandbox run, storing the output.
    const phases: Record<string, number> = { queued_ms: started - job.createdAt.getTime() };
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
      job.finishedAt = new Date();
    } catch (error) {
      this.logger.error(error, { session_id: session.id, job_id: job.id }, 'ExecutionService');
      this.fail(job, signal.aborted ? cancelled() : INTERNAL_ERROR);
    } finally {
      job.executionTimeMs = Date.now() - started;
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

/** Jobs take turns by the client that uploaded the session (its owner), then by session. */
function queueKeyOf({ session }: Pick<QueuedJob, 'session'>): QueueKey {
  return { client: session.owner, session: session.id };
}
