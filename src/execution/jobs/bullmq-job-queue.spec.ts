import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { jobQueueContract } from '../../../test/contracts/job-queue.contract';
import { startRedis, TestRedis } from '../../../test/support/redis-server';
import { redisOptionsFromUrl } from '../../common/redis/redis-connection';
import { BullJobQueue, LOST_JOB_REASON } from './bullmq-job-queue';
import { JobQueueLimits, QueuedJob } from './job-queue';

let server: TestRedis;
let prefixes = 0;
const errors: unknown[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});
afterEach(() => {
  // The contract's failing handler is reported; nothing else may be.
  const unexpected = errors.filter((e) => !(e instanceof Error && e.message === 'boom'));
  errors.length = 0;
  expect(unexpected).toEqual([]);
});

function bull(limits: JobQueueLimits, prefix: string, stallMs = 10_000): BullJobQueue {
  return new BullJobQueue(limits, {
    connection: redisOptionsFromUrl(server.url),
    prefix,
    stallMs,
    onError: (error) => errors.push(error),
  });
}

jobQueueContract('bullmq', async (limits) => {
  const queue = bull(limits, `t${++prefixes}:`);
  return { queue, close: () => queue.close() };
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 3_000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

const limits: JobQueueLimits = {
  concurrency: 1,
  maxQueued: 10,
  maxPerSession: 10,
  maxQueuedPerClient: 10,
};
const job = (jobId: string, sessionId = 's', owner = 'c'): QueuedJob => ({
  jobId,
  sessionId,
  owner,
  code: `# ${jobId}`,
});

describe('BullJobQueue across processes', () => {
  it('lets an API node (no worker) cancel a job running on a worker node, and count workers', async () => {
    const api = bull(limits, 'two:');
    const worker = bull(limits, 'two:');
    try {
      expect(await api.workers()).toBe(0);
      const aborted: unknown[] = [];
      worker.process(
        (_item, signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => {
              aborted.push(signal.reason);
              resolve();
            }),
          ),
      );
      await until(async () => (await api.workers()) === 1, 'worker seen');
      expect(await api.enqueue(job('a'))).toBeNull();
      expect(await api.enqueue(job('b'))).toBeNull();
      await until(async () => (await api.running()).length === 1, 'a running');
      expect(await api.limitFor('c', 's')).toBeNull();
      expect(api.size).toBe(1);
      // The worker node counts the same caps.
      const strict = bull({ ...limits, maxPerSession: 2 }, 'two:');
      expect(await strict.limitFor('c', 's')).toBe('session');
      await strict.close();
      expect(await api.cancel({ sessionId: 's' }, 'session ended')).toEqual([job('b')]);
      expect(aborted).toEqual(['session ended']);
      expect(await api.running()).toEqual([]);
      expect(api.size).toBe(0);
      await until(async () => (await api.limitFor('c', 's')) === null, 'caps freed');
    } finally {
      await worker.close();
      await api.close();
    }
  });

  it("reports a killed worker's job to another worker's onLost, once, and frees its caps", async () => {
    const prefix = 'lost:';
    const stallMs = 1_000;
    const child = startChildWorker(prefix, stallMs);
    const survivor = bull({ ...limits, maxPerSession: 1 }, prefix, stallMs);
    try {
      await until(() => child.output.includes('ready'), 'child worker ready');
      expect(await survivor.enqueue(job('doomed'))).toBeNull();
      await until(() => child.output.includes('started doomed'), 'child took the job');
      const lost: [QueuedJob, string][] = [];
      const ran: string[] = [];
      survivor.process(
        async (item) => void ran.push(item.jobId),
        async (item, reason) => void lost.push([item, reason]),
      );
      expect(await survivor.limitFor('c', 's')).toBe('session');
      child.process.kill('SIGKILL');
      await until(() => lost.length === 1, 'lost job reported');
      expect(lost).toEqual([[job('doomed'), LOST_JOB_REASON]]);
      expect(await survivor.limitFor('c', 's')).toBeNull();
      // The lost job ends as failed in BullMQ without running again; the queue goes on.
      await until(async () => (await survivor.running()).length === 0, 'lost job failed');
      expect(await survivor.enqueue(job('next'))).toBeNull();
      await until(() => ran.length === 1, 'next ran');
      expect(ran).toEqual(['next']);
      expect(lost).toHaveLength(1);
    } finally {
      child.process.kill('SIGKILL');
      await survivor.close();
    }
  });
});

/** A worker node in its own process whose handler holds every job until the process dies. */
function startChildWorker(prefix: string, stallMs: number) {
  const script = `
    const { BullJobQueue } = require(${JSON.stringify(join(__dirname, 'bullmq-job-queue.ts'))});
    const queue = new BullJobQueue(
      { concurrency: 1, maxQueued: 10, maxPerSession: 10, maxQueuedPerClient: 10 },
      { connection: { host: '127.0.0.1', port: ${server.port}, maxRetriesPerRequest: null },
        prefix: ${JSON.stringify(prefix)}, stallMs: ${stallMs}, onError: (e) => console.error(e) });
    queue.process((job) => { console.log('started ' + job.jobId); return new Promise(() => {}); });
    queue.workers().then(() => console.log('ready'));
  `;
  const proc: ChildProcess = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = { process: proc, output: '' };
  proc.stdout?.on('data', (d: Buffer) => (child.output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (child.output += d.toString()));
  return child;
}
