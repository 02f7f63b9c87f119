import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { join } from 'node:path';
import { AppLogger } from '../common/logging/app-logger.service';
import { requestContext } from '../common/logging/request-context';
import { sandboxConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import { SandboxRunner } from '../sandbox';
import { SessionsService } from '../sessions/sessions.service';
import { StorageBudget } from '../storage/storage-budget.service';
import { JobNotFound } from '../common/errors/domain-errors';
import { Session } from '../sessions/session';
import { DataSource, outputSource } from './data-source';
import { InputCache } from './input-cache.service';
import { JobRecord } from './jobs/job';
import { JOB_MESSAGES } from './jobs/job-messages';
import { JobQueue, QueuedJob } from './jobs/job-queue';
import { JobStore, JobUpdate } from './jobs/job-store';
import { OutputStore } from './output-store.service';

/**
 * The worker side of step 4: takes jobs from the JobQueue and runs each in a fresh sandbox
 * against its session's data, storing the output as Parquet in the session's folder and the
 * outcome in the JobStore. Lives in the embedded server and in workers (src/worker.ts); API
 * nodes of the distributed shape only enqueue (ExecutionService).
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap {
  constructor(
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    private readonly sessions: SessionsService,
    private readonly sandbox: SandboxRunner,
    private readonly inputs: InputCache,
    private readonly outputs: OutputStore,
    private readonly budget: StorageBudget,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
    private readonly queue: JobQueue,
    private readonly jobs: JobStore,
  ) {
    sessions.onSessionEnd((session) => {
      for (const key of this.sandboxKeys.get(session.id) ?? [session.id]) sandbox.forget(key);
      this.sandboxKeys.delete(session.id);
    });
  }

  /**
   * The sandbox keys (SandboxRunRequest.key: one per data source, since a sandbox kept
   * ready holds its input already read) each session has used in this process.
   */
  private readonly sandboxKeys = new Map<string, Set<string>>();

  private sandboxKey(sessionId: string, source: DataSource): string {
    const key = source.jobId === null ? sessionId : `${sessionId}/${source.jobId}`;
    let keys = this.sandboxKeys.get(sessionId);
    if (!keys) {
      keys = new Set([sessionId]);
      this.sandboxKeys.set(sessionId, keys);
    }
    keys.add(key);
    return key;
  }

  onApplicationBootstrap(): void {
    // A job starts from whichever request's completion woke the queue: its log lines must
    // not carry that request's id.
    this.queue.process(
      (item, signal) => requestContext.exit(() => this.run(item, signal)),
      (item, reason) => this.lost(item, reason),
    );
  }

  /** A job whose worker stopped mid-run (distributed queue): it ends `error` with `reason`. */
  private async lost(item: QueuedJob, reason: string): Promise<void> {
    const job = await this.jobs.get(item.sessionId, item.jobId);
    if (!job || job.status === 'success' || job.status === 'error') return;
    const finishedAt = Date.now();
    const executionTimeMs = job.startedAt === null ? null : finishedAt - job.startedAt;
    await this.jobs.update(item.sessionId, item.jobId, {
      status: 'error',
      errorMessage: reason,
      finishedAt,
      executionTimeMs,
    });
    this.metrics.jobFinished('error', executionTimeMs ?? 0);
    this.logger.warn(
      { msg: 'job lost with its worker', session_id: item.sessionId, job_id: item.jobId },
      'JobRunner',
    );
  }

  /** The queue's handler: runs one job and records its outcome in the job store. */
  async run(item: QueuedJob, signal: AbortSignal): Promise<void> {
    const { code } = item;
    const session = await this.sessions.get(item.sessionId).catch(() => undefined);
    const record = session && (await this.jobs.get(item.sessionId, item.jobId));
    // Gone means the session ended, and its end cancels and forgets its jobs.
    if (!session || !record) return;
    // A working copy, written back to the store when the job ends.
    const job: JobRecord = { ...record, status: 'running', startedAt: Date.now() };
    await this.jobs.update(session.id, job.id, { status: job.status, startedAt: job.startedAt });
    const started = Date.now();
    this.logger.log({ msg: 'job started', session_id: session.id, job_id: job.id }, 'JobRunner');
    // Where the time goes, for the log line: input export, sandbox run, storing the output.
    const phases: Record<string, number> = { queued_ms: started - job.createdAt };
    let mark = started;
    const lap = (name: string): void => {
      const now = Date.now();
      phases[name] = now - mark;
      mark = now;
    };
    const cancelled = (): string =>
      typeof signal.reason === 'string' ? signal.reason : JOB_MESSAGES.sessionEnded;
    try {
      const source = await this.sourceOf(session, item.sourceJobId ?? job.sourceJobId ?? null);
      const inputFile = await this.inputs.fileFor(session, source);
      lap('input_ms');
      if (signal.aborted) return this.fail(job, cancelled());
      const result = await this.sandbox.run({
        key: this.sandboxKey(session.id, source),
        inputFile,
        code,
        resultFile: join(session.dir, `result-${job.id}.frame`),
        signal,
      });
      lap('sandbox_ms');
      job.stdout = result.stdout;
      job.stderr = result.stderr;
      job.checkPassed = result.checkPassed;
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
      this.logger.error(error, { session_id: session.id, job_id: job.id }, 'JobRunner');
      this.fail(job, signal.aborted ? cancelled() : JOB_MESSAGES.internalError);
    } finally {
      job.executionTimeMs = Date.now() - started;
      // A job reported lost meanwhile (this worker stalled past its lock) keeps that end.
      // Counted before the outcome is stored: a poll that sees it must find it in /metrics.
      this.metrics.jobFinished(job.status, job.executionTimeMs);
      const current = await this.jobs.get(session.id, job.id);
      if (current?.status === 'running') await this.jobs.update(session.id, job.id, outcomeOf(job));
      this.logger.log(
        {
          msg: 'job finished',
          session_id: session.id,
          job_id: job.id,
          status: job.status,
          ms: job.executionTimeMs,
          ...phases,
        },
        'JobRunner',
      );
    }
  }

  /** What the job runs on: the upload, or its source job's output (chained steps). */
  private async sourceOf(session: Session, sourceJobId: string | null): Promise<DataSource> {
    if (sourceJobId === null) {
      const { columns, dtypes, rowCount } = session.dataset;
      return { table: session.table, columns, dtypes, rowCount, jobId: null };
    }
    // Checked at submit; outputs are kept until their session ends, and this job with them.
    const source = await this.jobs.get(session.id, sourceJobId);
    if (!source) throw new JobNotFound(sourceJobId);
    return outputSource(this.outputs, session, source);
  }

  private fail(job: JobRecord, message: string): void {
    job.status = 'error';
    job.errorMessage = message;
    job.finishedAt = Date.now();
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
    checkPassed: job.checkPassed ?? null,
  };
}
