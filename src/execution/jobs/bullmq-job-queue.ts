import { ConnectionOptions, Job, Queue, Worker } from 'bullmq';
import Redis, { RedisOptions } from 'ioredis';
import {
  CancelScope,
  JobHandler,
  JobQueue,
  JobQueueLimits,
  LostJobHandler,
  QueuedJob,
  QueueLimit,
  RunningJob,
} from './job-queue';

/** Recorded for a job whose worker stopped mid-job (see LostJobHandler). */
export const LOST_JOB_REASON =
  'The worker running this job stopped (it was killed or lost its connection); run it again.';

/** Recorded for a job still running when its worker's queue is closed. */
export const SHUTTING_DOWN_REASON = 'The worker running this job shut down; run it again.';

export interface BullJobQueueOptions {
  /** ioredis options (see src/common/redis/redis-connection.ts); BullMQ opens its own from them. */
  connection: RedisOptions;
  /** Prefix of every key and channel (default `acb:`); BullMQ's keys are under `<prefix>bull`. */
  prefix?: string;
  /**
   * A worker that stops renewing its lock for this long (ms, default 10 s) has lost its
   * job: BullMQ's lockDuration, with a stall check every half of it, so a killed worker's
   * job is reported within about 1.5 times this.
   */
  stallMs?: number;
  /** How long `cancel` waits for running jobs to end (ms, default 30 s). */
  cancelWaitMs?: number;
  /** How often the `size` gauge is read from Redis (ms, default 1 s). */
  sizeRefreshMs?: number;
  /** Failures of the queue itself (Redis errors, a handler's rejection). */
  onError: (error: unknown) => void;
}

/** BullMQ's lowest priority (larger numbers run later). */
const MAX_PRIORITY = 2_097_152;
/** A reservation whose BullMQ job is gone or finished after this long is released (a crash between the two). */
const RESERVATION_GRACE_MS = 60_000;

/**
 * The caps' bookkeeping, in one Lua prelude shared by the scripts. Under ARGV[1] (`<prefix>q:`):
 * `waiting` and `held` (sorted sets of job ids by reservation time: waiting, and waiting
 * or running), `session:<id>` (held jobs by priority), `client-waiting:<owner>` and
 * `client-held:<owner>` (sets), `job:<id>` (its session and owner), `cancelled:<id>`.
 */
const PRELUDE = `
local p = ARGV[1]
local function release(id)
  local j = p .. 'job:' .. id
  local session = redis.call('HGET', j, 'session')
  local owner = redis.call('HGET', j, 'owner')
  redis.call('ZREM', p .. 'waiting', id)
  redis.call('ZREM', p .. 'held', id)
  if session then redis.call('ZREM', p .. 'session:' .. session, id) end
  if owner then
    redis.call('SREM', p .. 'client-waiting:' .. owner, id)
    redis.call('SREM', p .. 'client-held:' .. owner, id)
  end
  redis.call('DEL', j)
end
`;

/**
 * ARGV: prefix, jobId, session, owner, now, maxQueued, maxPerSession, maxQueuedPerClient,
 * dry run (1: only check), BullMQ job key prefix, grace ms. Answers {limit or '', priority,
 * waiting count}. First releases stale reservations (their BullMQ job gone or finished).
 */
const RESERVE = `${PRELUDE}
local id, session, owner, now = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local stale = redis.call('ZRANGEBYSCORE', p .. 'held', '-inf', now - tonumber(ARGV[11]), 'LIMIT', 0, 50)
for _, old in ipairs(stale) do
  local bull = ARGV[10] .. old
  if redis.call('EXISTS', bull) == 0 or redis.call('HEXISTS', bull, 'finishedOn') == 1 then release(old) end
end
local waiting = redis.call('ZCARD', p .. 'waiting')
local limit = ''
if waiting >= tonumber(ARGV[6]) then limit = 'queue'
elseif redis.call('ZCARD', p .. 'session:' .. session) >= tonumber(ARGV[7]) then limit = 'session'
elseif redis.call('SCARD', p .. 'client-waiting:' .. owner) >= tonumber(ARGV[8]) then limit = 'client'
end
if limit ~= '' or ARGV[9] == '1' then return {limit, 0, waiting} end
local priority = 1 + redis.call('SCARD', p .. 'client-held:' .. owner)
local last = redis.call('ZRANGE', p .. 'session:' .. session, -1, -1, 'WITHSCORES')
if #last > 0 and tonumber(last[2]) > priority then priority = tonumber(last[2]) end
if priority > ${MAX_PRIORITY} then priority = ${MAX_PRIORITY} end
redis.call('ZADD', p .. 'waiting', now, id)
redis.call('ZADD', p .. 'held', now, id)
redis.call('ZADD', p .. 'session:' .. session, priority, id)
redis.call('SADD', p .. 'client-waiting:' .. owner, id)
redis.call('SADD', p .. 'client-held:' .. owner, id)
redis.call('HSET', p .. 'job:' .. id, 'session', session, 'owner', owner)
return {'', priority, waiting + 1}`;

/** ARGV: prefix, jobId. The job left the waiting line; answers its cancel reason, if any. */
const START = `${PRELUDE}
local id = ARGV[2]
local owner = redis.call('HGET', p .. 'job:' .. id, 'owner')
redis.call('ZREM', p .. 'waiting', id)
if owner then redis.call('SREM', p .. 'client-waiting:' .. owner, id) end
return redis.call('GET', p .. 'cancelled:' .. id)`;

/** ARGV: prefix, jobIds... Frees their places in every cap; answers the waiting count. */
const RELEASE = `${PRELUDE}
for i = 2, #ARGV do release(ARGV[i]) end
return redis.call('ZCARD', p .. 'waiting')`;

interface Local {
  job: QueuedJob;
  controller: AbortController;
  done: Promise<void>;
}

interface CancelMessage {
  jobIds: string[];
  reason: string;
}

/**
 * The job queue on BullMQ (one Redis for every node). API nodes enqueue, cancel and read;
 * worker nodes also call `process`, which starts a BullMQ Worker taking `concurrency` jobs
 * at once. Caps are counted in Redis by one Lua script per change, so every node sees
 * the same numbers. Turns by client use BullMQ priorities: a job's priority is 1 + its
 * client's jobs waiting or running (never below its session's last), so a light client's
 * job goes ahead of a heavy client's backlog while a session's jobs keep their order.
 * Running jobs are cancelled over pub/sub (`<prefix>q:cancel`); a worker that stops
 * mid-job is noticed by another's stall check and its job reported to `onLost`.
 * The scripts compute key names, so this expects one Redis, not a Redis Cluster.
 */
export class BullJobQueue extends JobQueue {
  private readonly p: string;
  private readonly bullPrefix: string;
  private readonly queueName = 'jobs';
  private readonly queue: Queue<QueuedJob>;
  private readonly redis: Redis;
  private subscriber: Redis | null = null;
  private worker: Worker<QueuedJob> | null = null;
  private readonly local = new Map<string, Local>();
  private readonly sizeTimer: NodeJS.Timeout;
  private waitingCount = 0;
  private readonly stallMs: number;
  private closed = false;

  constructor(
    private readonly limits: JobQueueLimits,
    private readonly options: BullJobQueueOptions,
  ) {
    super();
    const prefix = options.prefix ?? 'acb:';
    this.p = `${prefix}q:`;
    this.bullPrefix = `${prefix}bull`;
    this.stallMs = options.stallMs ?? 10_000;
    this.redis = new Redis(options.connection);
    this.redis.on('error', options.onError);
    this.queue = new Queue<QueuedJob>(this.queueName, {
      connection: options.connection as ConnectionOptions,
      prefix: this.bullPrefix,
    });
    this.queue.on('error', options.onError);
    this.sizeTimer = setInterval(() => void this.refreshSize(), options.sizeRefreshMs ?? 1_000);
    this.sizeTimer.unref();
  }

  get size(): number {
    return this.waitingCount;
  }

  async enqueue(job: QueuedJob): Promise<QueueLimit | null> {
    const limit = await this.reserve(job.owner, job.sessionId, job.jobId, false);
    if (limit.limit) return limit.limit;
    const data: QueuedJob = {
      jobId: job.jobId,
      sessionId: job.sessionId,
      owner: job.owner,
      code: job.code,
      ...(job.sourceJobId !== undefined ? { sourceJobId: job.sourceJobId } : {}),
    };
    try {
      await this.queue.add('run', data, {
        jobId: bullId(job.jobId),
        priority: limit.priority,
        removeOnComplete: true,
        removeOnFail: true,
      });
    } catch (error) {
      await this.release([job.jobId]);
      throw error;
    }
    return null;
  }

  async limitFor(owner: string, sessionId: string): Promise<QueueLimit | null> {
    return (await this.reserve(owner, sessionId, '', true)).limit;
  }

  process(handler: JobHandler, onLost?: LostJobHandler): void {
    if (this.worker) throw new Error('BullJobQueue.process: a handler is already set');
    const subscriber = new Redis(this.options.connection);
    subscriber.on('error', this.options.onError);
    subscriber.on('message', (_channel: string, text: string) => {
      const message = JSON.parse(text) as CancelMessage;
      for (const id of message.jobIds) this.local.get(id)?.controller.abort(message.reason);
    });
    subscriber.subscribe(this.channel).catch(this.options.onError);
    this.subscriber = subscriber;
    const worker = new Worker<QueuedJob>(this.queueName, (job) => this.run(job.data, handler), {
      connection: this.options.connection as ConnectionOptions,
      prefix: this.bullPrefix,
      concurrency: this.limits.concurrency,
      lockDuration: this.stallMs,
      stalledInterval: Math.max(500, Math.round(this.stallMs / 2)),
      maxStalledCount: 0,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    worker.on('error', this.options.onError);
    // This worker's stall check found a job whose lock lapsed: its worker stopped.
    worker.on('stalled', (id: string) => void this.lost(id, onLost));
    this.worker = worker;
  }

  async cancel(scope: CancelScope, reason: string): Promise<QueuedJob[]> {
    if (scope === 'local') {
      const all = [...this.local.values()];
      for (const l of all) l.controller.abort(reason);
      await Promise.all(all.map((l) => l.done));
      return [];
    }
    const ids =
      scope === 'all'
        ? await this.redis.zrange(`${this.p}held`, 0, -1)
        : 'jobId' in scope
          ? [scope.jobId]
          : await this.redis.zrange(`${this.p}session:${scope.sessionId}`, 0, -1);
    const removed: Job<QueuedJob>[] = [];
    const others: string[] = [];
    for (const id of ids) {
      const job = (await this.queue.getJob(bullId(id))) as Job<QueuedJob> | undefined;
      if (job && (await this.queue.remove(bullId(id))) === 1) removed.push(job);
      else others.push(id);
    }
    if (removed.length > 0) await this.release(removed.map((j) => j.data.jobId));
    if (others.length > 0) {
      // A job about to start reads its mark; one already running hears the message.
      const marks = this.redis.multi();
      for (const id of others) marks.set(`${this.p}cancelled:${id}`, reason, 'PX', 60_000);
      await marks.exec();
      const message: CancelMessage = { jobIds: others, reason };
      await this.redis.publish(this.channel, JSON.stringify(message));
      for (const id of others) this.local.get(id)?.controller.abort(reason);
      await this.untilNotActive(others);
    }
    await this.refreshSize();
    return removed.sort((a, b) => a.timestamp - b.timestamp).map((j) => j.data);
  }

  async running(): Promise<RunningJob[]> {
    const jobs = (await this.queue.getJobs(['active'])) as Job<QueuedJob>[];
    return jobs
      .filter((j) => j?.data?.jobId !== undefined)
      .map((j) => ({ job: j.data, startedAt: j.processedOn ?? j.timestamp }))
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  async workers(): Promise<number> {
    return this.queue.getWorkersCount();
  }

  /**
   * Closes the worker, the queue and the connections. Jobs still running here (there
   * should be none after `cancel('local')`) are aborted with SHUTTING_DOWN_REASON first.
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sizeTimer);
    await this.cancel('local', SHUTTING_DOWN_REASON);
    await this.worker?.close();
    await this.queue.close();
    await this.subscriber?.quit();
    await this.redis.quit();
  }

  private get channel(): string {
    return `${this.p}cancel`;
  }

  private async reserve(
    owner: string,
    sessionId: string,
    jobId: string,
    dryRun: boolean,
  ): Promise<{ limit: QueueLimit | null; priority: number }> {
    const [limit, priority, waiting] = (await this.redis.eval(
      RESERVE,
      0,
      this.p,
      jobId,
      sessionId,
      owner,
      Date.now(),
      this.limits.maxQueued,
      this.limits.maxPerSession,
      this.limits.maxQueuedPerClient,
      dryRun ? '1' : '0',
      `${this.bullPrefix}:${this.queueName}:j.`,
      RESERVATION_GRACE_MS,
    )) as [string, number, number];
    this.waitingCount = waiting;
    return { limit: limit === '' ? null : (limit as QueueLimit), priority };
  }

  private async release(jobIds: string[]): Promise<void> {
    this.waitingCount = (await this.redis.eval(RELEASE, 0, this.p, ...jobIds)) as number;
  }

  private async refreshSize(): Promise<void> {
    try {
      this.waitingCount = await this.redis.zcard(`${this.p}waiting`);
    } catch (error) {
      if (!this.closed) this.options.onError(error);
    }
  }

  /** The Worker's processor: our handler with a signal we abort on cancel. */
  private async run(job: QueuedJob, handler: JobHandler): Promise<void> {
    const controller = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.local.set(job.jobId, { job, controller, done });
    try {
      const cancelled = (await this.redis.eval(START, 0, this.p, job.jobId)) as string | null;
      if (cancelled !== null) controller.abort(cancelled);
      await handler(job, controller.signal);
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.local.delete(job.jobId);
      await this.release([job.jobId]).catch(this.options.onError);
      finish();
    }
  }

  private async lost(id: string, onLost: LostJobHandler | undefined): Promise<void> {
    try {
      const job = (await this.queue.getJob(id)) as Job<QueuedJob> | undefined;
      if (!job?.data?.jobId) return;
      await this.release([job.data.jobId]);
      await onLost?.(job.data, LOST_JOB_REASON);
    } catch (error) {
      this.options.onError(error);
    }
  }

  private async untilNotActive(jobIds: string[]): Promise<void> {
    const deadline = Date.now() + (this.options.cancelWaitMs ?? 30_000);
    let pending = jobIds;
    while (pending.length > 0 && Date.now() < deadline) {
      const states = await Promise.all(pending.map((id) => this.queue.getJobState(bullId(id))));
      pending = pending.filter((_, i) => states[i] === 'active');
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** BullMQ refuses ids that are integers or contain ':'; ours (UUIDs) get a fixed prefix. */
function bullId(jobId: string): string {
  return `j.${jobId}`;
}
