import { FairQueue } from '../../common/concurrency/fair-queue';
import {
  CancelScope,
  JobHandler,
  JobQueue,
  JobQueueLimits,
  QueuedJob,
  QueueLimit,
  RunningJob,
} from './job-queue';

interface Active extends RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/** The job queue in this process: a FairQueue whose worker is the handler given to `process`. */
export class InProcessJobQueue extends JobQueue {
  private readonly fair: FairQueue<QueuedJob>;
  private readonly active = new Map<string, Active>();
  private handler: JobHandler | null = null;

  constructor(
    limits: JobQueueLimits,
    onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {
    super();
    // Nothing starts until a handler is given (`process`).
    this.fair = new FairQueue<QueuedJob>(
      { ...limits, concurrency: 0 },
      keyOf,
      (job) => this.start(job),
      onError,
    );
    this.concurrency = limits.concurrency;
  }

  private readonly concurrency: number;

  get size(): number {
    return this.fair.size;
  }

  async enqueue(job: QueuedJob): Promise<QueueLimit | null> {
    return this.fair.push(job);
  }

  async limitFor(owner: string, sessionId: string): Promise<QueueLimit | null> {
    return this.fair.limitFor({ client: owner, session: sessionId });
  }

  process(handler: JobHandler): void {
    if (this.handler) throw new Error('InProcessJobQueue.process: a handler is already set');
    this.handler = handler;
    this.fair.setConcurrency(this.concurrency);
  }

  async cancel(scope: CancelScope, reason: string): Promise<QueuedJob[]> {
    const matches = (job: QueuedJob): boolean =>
      scope === 'all' ||
      scope === 'local' ||
      ('jobId' in scope ? job.jobId === scope.jobId : job.sessionId === scope.sessionId);
    const removed = this.fair.remove(matches);
    const running = [...this.active.values()].filter((a) => matches(a.job));
    for (const a of running) a.controller.abort(reason);
    await Promise.all(running.map((a) => a.done));
    return removed;
  }

  async workers(): Promise<number> {
    return 1;
  }

  async running(): Promise<RunningJob[]> {
    return [...this.active.values()].map(({ job, startedAt }) => ({ job, startedAt }));
  }

  private start(job: QueuedJob): Promise<void> {
    const controller = new AbortController();
    const handler = this.handler as JobHandler;
    const done = handler(job, controller.signal).finally(() => this.active.delete(job.jobId));
    // The handler's first await comes after this: the job is listed while it runs.
    this.active.set(job.jobId, { job, startedAt: this.now(), controller, done });
    return done;
  }
}

function keyOf(job: QueuedJob): { client: string; session: string } {
  return { client: job.owner, session: job.sessionId };
}
