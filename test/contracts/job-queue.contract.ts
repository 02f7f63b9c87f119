import { JobQueue, JobQueueLimits, QueuedJob } from '../../src/execution/jobs/job-queue';

export interface JobQueueUnderTest {
  queue: JobQueue;
  close?: () => Promise<void>;
}

/** Resolves when `check` holds, polling (a distributed queue answers later than in-process). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

function job(owner: string, sessionId: string, jobId: string): QueuedJob {
  return { jobId, sessionId, owner, code: `# ${jobId}` };
}

/**
 * What every JobQueue adapter must do. `factory` answers a fresh, empty queue with the
 * given limits (a distributed adapter: its producer and one worker together).
 */
export function jobQueueContract(
  name: string,
  factory: (limits: JobQueueLimits) => Promise<JobQueueUnderTest>,
): void {
  describe(`JobQueue contract: ${name}`, () => {
    let under: JobQueueUnderTest | undefined;
    afterEach(async () => {
      await under?.close?.();
      under = undefined;
    });

    /** A queue whose handler holds each job until `finish(id)` (or its abort). */
    async function gated(limits: Partial<JobQueueLimits> = {}) {
      under = await factory({
        concurrency: 1,
        maxQueued: 100,
        maxPerSession: 100,
        maxQueuedPerClient: 100,
        ...limits,
      });
      const queue = under.queue;
      const started: string[] = [];
      const received: QueuedJob[] = [];
      const aborted = new Map<string, unknown>();
      const gates = new Map<string, () => void>();
      queue.process(async (item, signal) => {
        started.push(item.jobId);
        received.push(item);
        await new Promise<void>((resolve) => {
          gates.set(item.jobId, resolve);
          signal.addEventListener('abort', () => {
            aborted.set(item.jobId, signal.reason);
            resolve();
          });
        });
      });
      const finish = async (id: string): Promise<void> => {
        await until(() => gates.has(id), `${id} started`);
        gates.get(id)!();
      };
      return { queue, started, received, aborted, finish };
    }

    it('hands the handler the job as plain data, exactly as queued', async () => {
      const q = await gated();
      const item = {
        ...job('c', 's', 'j1'),
        code: 'def transform(df):\n    return df\n',
        sourceJobId: 'j0',
      };
      expect(await q.queue.enqueue(item)).toBeNull();
      await until(() => q.received.length === 1, 'j1 received');
      expect(q.received[0]).toEqual(item);
      expect(JSON.parse(JSON.stringify(q.received[0]))).toEqual(item);
      await q.finish('j1');
    });

    it("runs one session's jobs in order, at most `concurrency` at once", async () => {
      const q = await gated({ concurrency: 2 });
      for (const id of ['1', '2', '3']) await q.queue.enqueue(job('c', 's', id));
      await until(() => q.started.length === 2, 'two started');
      expect(q.started).toEqual(['1', '2']);
      expect((await q.queue.running()).map((r) => r.job.jobId).sort()).toEqual(['1', '2']);
      await q.finish('1');
      await until(() => q.started.length === 3, 'third started');
      expect(q.started).toEqual(['1', '2', '3']);
      await q.finish('2');
      await q.finish('3');
      await until(async () => (await q.queue.running()).length === 0, 'all done');
    });

    it('takes turns by client: a light client waits behind at most one heavy job', async () => {
      const q = await gated();
      for (let i = 0; i < 5; i++) await q.queue.enqueue(job('heavy', 'h', `h${i}`));
      await q.queue.enqueue(job('light', 'l', 'l0'));
      // Whichever heavy job was running when l0 came, at most one more goes before it.
      for (let i = 0; !q.started.includes('l0'); i++) {
        await until(() => q.started.length > i, `job ${i + 1} started`);
        if (q.started[i] !== 'l0') await q.finish(q.started[i]);
      }
      expect(q.started.indexOf('l0')).toBeLessThanOrEqual(2);
      await q.finish('l0');
      for (let i = q.started.length; i < 6; i++) {
        await until(() => q.started.length > i, `job ${i + 1} started`);
        await q.finish(q.started[i]);
      }
      expect(q.started.filter((id) => id !== 'l0')).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    });

    it('refuses past each cap, naming it, and queues nothing then', async () => {
      const q = await gated({ maxQueued: 3, maxPerSession: 2, maxQueuedPerClient: 2 });
      expect(await q.queue.enqueue(job('c', 's1', 'a'))).toBeNull();
      await until(() => q.started.length === 1, 'a started');
      expect(await q.queue.enqueue(job('c', 's1', 'b'))).toBeNull();
      expect(await q.queue.limitFor('c', 's1')).toBe('session');
      expect(await q.queue.enqueue(job('c', 's1', 'x'))).toBe('session');
      expect(await q.queue.enqueue(job('c', 's2', 'c'))).toBeNull();
      expect(await q.queue.enqueue(job('c', 's3', 'x'))).toBe('client');
      expect(await q.queue.enqueue(job('d', 't', 'd'))).toBeNull();
      expect(await q.queue.limitFor('e', 'u')).toBe('queue');
      expect(await q.queue.enqueue(job('e', 'u', 'x'))).toBe('queue');
      expect(q.queue.size).toBe(3);
      for (let i = 0; i < 4; i++) {
        await until(() => q.started.length > i, `job ${i + 1} started`);
        await q.finish(q.started[i]);
      }
      expect([...q.started].sort()).toEqual(['a', 'b', 'c', 'd']);
    });

    it('cancels one job by id: waiting never starts, running is aborted with the reason', async () => {
      const q = await gated();
      await q.queue.enqueue(job('c', 's', 'run'));
      await q.queue.enqueue(job('c', 's', 'wait'));
      await q.queue.enqueue(job('c', 's', 'after'));
      await until(() => q.started.length === 1, 'run started');
      const removed = await q.queue.cancel({ jobId: 'wait' }, 'because');
      expect(removed.map((j) => j.jobId)).toEqual(['wait']);
      expect(await q.queue.cancel({ jobId: 'run' }, 'stopped')).toEqual([]);
      expect(q.aborted.get('run')).toBe('stopped');
      await q.finish('after');
      expect(q.started).toEqual(['run', 'after']);
    });

    it("cancels a session's jobs, waiting and running, and leaves other sessions' alone", async () => {
      const q = await gated({ concurrency: 2 });
      await q.queue.enqueue(job('c', 'gone', 'g1'));
      await q.queue.enqueue(job('c', 'kept', 'k1'));
      await q.queue.enqueue(job('c', 'gone', 'g2'));
      await q.queue.enqueue(job('c', 'kept', 'k2'));
      await until(() => q.started.length === 2, 'two started');
      const removed = await q.queue.cancel({ sessionId: 'gone' }, 'session ended');
      expect(removed.map((j) => j.jobId)).toEqual(['g2']);
      expect(q.aborted.get('g1')).toBe('session ended');
      expect(q.aborted.has('k1')).toBe(false);
      await q.finish('k1');
      await q.finish('k2');
      expect(q.started).toEqual(['g1', 'k1', 'k2']);
      expect(await q.queue.limitFor('c', 'gone')).toBeNull();
    });

    it('cancels everything (shutdown): answers the waiting, aborts and awaits the running', async () => {
      const q = await gated();
      await q.queue.enqueue(job('c', 's', 'a'));
      await q.queue.enqueue(job('d', 't', 'b'));
      await until(() => q.started.length === 1, 'a started');
      const removed = await q.queue.cancel('all', 'shutting down');
      expect(removed.map((j) => j.jobId)).toEqual(['b']);
      expect(q.aborted.get('a')).toBe('shutting down');
      expect(await q.queue.running()).toEqual([]);
      expect(q.queue.size).toBe(0);
    });

    it('goes on with the next job after a handler fails', async () => {
      under = await factory({
        concurrency: 1,
        maxQueued: 10,
        maxPerSession: 10,
        maxQueuedPerClient: 10,
      });
      const started: string[] = [];
      under.queue.process(async (item) => {
        started.push(item.jobId);
        if (item.jobId === 'boom') throw new Error('boom');
      });
      await under.queue.enqueue(job('c', 's', 'boom'));
      await under.queue.enqueue(job('c', 's', 'next'));
      await until(() => started.length === 2, 'next started');
      await until(async () => (await under!.queue.running()).length === 0, 'idle');
      expect(await under.queue.limitFor('c', 's')).toBeNull();
    });
  });
}
