/**
 * The distributed shape against the embedded one (issue 10), built servers on this machine:
 *   (a) a small job's latency (POST /execute to `success` seen by polling), embedded vs
 *       through BullMQ on Redis with one worker (goal: p50 at most 25 ms more);
 *   (b) 64 small jobs submitted at once, drained by one worker vs two (each worker takes
 *       one job at a time, SANDBOX_MAX_CONCURRENCY=1, so the second worker's share shows).
 * Each side runs in its own processes, one after the other, on the same data.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis } from '../test/support/redis-server';
import { sharedDirs } from '../test/support/server-process';
import { submit, upload, waitDone } from './support/jobs';
import { BenchServer, DATA_DIR, percentile, startServer } from './support/server';

const ROWS = 1_000;
const RUNS = 40;
const WARMUP = 5;
const BURST = 64;
const POLL_MS = 2;
/** Between jobs, as a person reading a preview leaves (execution.bench.ts uses the same). */
const GAP_MS = 600;
const CODE = 'def transform(df):\n    return df[df["amount"] > 10]\n';

/** Submits CODE and waits for it; throws if it failed. */
async function runJob(url: string, session: string): Promise<void> {
  const outcome = await waitDone(url, session, await submit(url, session, CODE), POLL_MS);
  if (outcome.status === 'error') throw new Error(`job failed: ${outcome.error_message}`);
}

/** Sequential small jobs, GAP_MS apart: each one's POST-to-success time, in ms. */
async function latencies(url: string, csv: string): Promise<number[]> {
  const id = await upload(url, csv);
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS));
    const started = performance.now();
    await runJob(url, id);
    if (i >= WARMUP) times.push(performance.now() - started);
  }
  return times;
}

/** BURST jobs submitted at once (over 8 sessions), until the last is done, in ms. */
async function drain(url: string, csv: string): Promise<number> {
  const sessions = await Promise.all(Array.from({ length: 8 }, () => upload(url, csv)));
  const started = performance.now();
  const jobs = await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const id = sessions[i % sessions.length];
      return { id, job: await submit(url, id, CODE) };
    }),
  );
  const outcomes = await Promise.all(jobs.map(({ id, job }) => waitDone(url, id, job, POLL_MS)));
  const failed = outcomes.find((o) => o.status === 'error');
  if (failed) throw new Error(`job failed: ${failed.error_message}`);
  return performance.now() - started;
}

/** An API node and `workers` workers on one Redis and shared folders. */
async function distributed(
  workers: number,
  env: Record<string, string>,
): Promise<{ api: BenchServer; stop: () => Promise<void> }> {
  const redis = await startRedis();
  const dirs = sharedDirs();
  const shared = { ...env, REDIS_URL: redis.url };
  const api = await startServer(shared, [], { dirs });
  const started = await Promise.all(
    Array.from({ length: workers }, () => startServer(shared, [], { entry: 'worker', dirs })),
  );
  for (;;) {
    const health = (await (await fetch(`${api.url}/health`)).json()) as {
      queue: { workers: number };
    };
    if (health.queue.workers === workers) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    api,
    stop: async () => {
      await Promise.all([api, ...started].map((p) => p.stop()));
      await redis.stop();
      dirs.remove();
    },
  };
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

export async function run(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const csv = join(DATA_DIR, `dist-${ROWS}.csv`);
  const lines = ['id,amount'];
  for (let i = 0; i < ROWS; i++) lines.push(`${i},${(i * 7) % 23}`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  console.log(`input: ${csv} (${statSync(csv).size} bytes); ${RUNS} jobs after ${WARMUP} warm-up`);
  const one = { SANDBOX_MAX_CONCURRENCY: '1' };

  const embedded = await startServer(one);
  let embeddedTimes: number[];
  let embeddedDrain: number;
  try {
    embeddedTimes = await latencies(embedded.url, csv);
    embeddedDrain = await drain(embedded.url, csv);
  } finally {
    await embedded.stop();
  }
  const single = await distributed(1, one);
  let bullTimes: number[];
  let oneWorker: number;
  try {
    bullTimes = await latencies(single.api.url, csv);
    oneWorker = await drain(single.api.url, csv);
  } finally {
    await single.stop();
  }
  const pair = await distributed(2, one);
  let twoWorkers: number;
  try {
    twoWorkers = await drain(pair.api.url, csv);
  } finally {
    await pair.stop();
  }

  const [e50, e95] = [percentile(embeddedTimes, 50), percentile(embeddedTimes, 95)];
  const [b50, b95] = [percentile(bullTimes, 50), percentile(bullTimes, 95)];
  console.log(`  small job (${GAP_MS} ms apart), POST to success seen      p50        p95`);
  console.log(`  embedded (in-process queue)   ${fmt(e50).padStart(11)}${fmt(e95).padStart(11)}`);
  console.log(`  BullMQ on Redis, one worker   ${fmt(b50).padStart(11)}${fmt(b95).padStart(11)}`);
  console.log(`  added at p50: ${fmt(b50 - e50)}   (goal: <= 25 ms)`);
  console.log(`  ${BURST} small jobs at once, one job at a time per worker:`);
  console.log(`    embedded, one process        ${fmt(embeddedDrain)}`);
  console.log(`    one worker                   ${fmt(oneWorker)}`);
  console.log(
    `    two workers                  ${fmt(twoWorkers)}   (${(oneWorker / twoWorkers).toFixed(2)}x one worker)`,
  );
}
