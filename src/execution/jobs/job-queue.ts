/**
 * A job as a queue carries it: plain data (no closures, no session objects), so an
 * adapter can hold it in another process (Redis) and a worker elsewhere can run it.
 */
export interface QueuedJob {
  jobId: string;
  sessionId: string;
  /** Key of the client whose share the job counts in (the session's owner). */
  owner: string;
  code: string;
  /** The job whose output it runs on (JobRecord.sourceJobId); absent or null: the upload. */
  sourceJobId?: string | null;
}

/** The cap a new job would pass: everyone's queue, its session's, or its client's. */
export type QueueLimit = 'queue' | 'session' | 'client';

/** A job being worked on, and since when (epoch ms). */
export interface RunningJob {
  job: QueuedJob;
  startedAt: number;
}

/**
 * Runs one job to its end and records the outcome itself (the job store). `signal` aborts
 * when the job is cancelled; its `reason` is the sentence to record. A rejection is logged.
 */
export type JobHandler = (job: QueuedJob, signal: AbortSignal) => Promise<void>;

/**
 * A job this process's worker was not the one to end: the worker running it stopped (was
 * killed, or lost Redis for longer than its lock). `reason` is the sentence to record.
 * Called once per lost job, on whichever worker noticed; never by the in-process adapter.
 */
export type LostJobHandler = (job: QueuedJob, reason: string) => Promise<void>;

/**
 * Which jobs to cancel: one job, a session's jobs, every job (everywhere, for a
 * distributed queue), or `local`: the jobs this process works on, for its shutdown (in
 * process that is every job; a distributed queue leaves waiting ones for other workers).
 */
export type CancelScope = { jobId: string } | { sessionId: string } | 'all' | 'local';

export interface JobQueueLimits {
  /** Jobs worked on at once (per worker process for a distributed queue). */
  concurrency: number;
  /** Waiting jobs of everyone together. */
  maxQueued: number;
  /** Waiting plus running jobs of one session. */
  maxPerSession: number;
  /** Waiting jobs of one client (all its sessions). */
  maxQueuedPerClient: number;
}

/**
 * The job queue (port). Jobs take turns by client, then by that client's sessions, within
 * the caps of JobQueueLimits. The producer side enqueues and cancels; the worker side
 * (`process`) takes jobs in turn and runs them. The in-process adapter does both in this
 * process; a distributed one (BullMQ) splits them across processes.
 */
export abstract class JobQueue {
  /** Queues the job, or answers the cap it would pass (then nothing is queued). */
  abstract enqueue(job: QueuedJob): Promise<QueueLimit | null>;

  /** The first cap a job of this owner and session would pass now, or null. */
  abstract limitFor(owner: string, sessionId: string): Promise<QueueLimit | null>;

  /**
   * Starts taking jobs: `handler` runs each in turn. Call once. `onLost` hears of jobs
   * whose worker stopped mid-job (a distributed queue notices within its stall bound).
   */
  abstract process(handler: JobHandler, onLost?: LostJobHandler): void;

  /**
   * Waiting jobs in `scope` never start (they are answered, for the caller to record);
   * running ones are aborted with `reason` and awaited.
   */
  abstract cancel(scope: CancelScope, reason: string): Promise<QueuedJob[]>;

  /** Jobs being worked on now, oldest start first. */
  abstract running(): Promise<RunningJob[]>;

  /** Jobs waiting to start (a gauge for /metrics; may lag a distributed queue). */
  abstract get size(): number;

  /** Worker processes taking jobs now (/health `queue.workers`); 1 in process. */
  abstract workers(): Promise<number>;

  /** Lets go of connections and timers (after `cancel('local')` at shutdown). */
  async close(): Promise<void> {}
}
