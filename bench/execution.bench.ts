/**
 * Execution latency, POST /execute to `success` as a client sees it, against a baseline
 * that does what the seed pipeline did: a cold `python3` that imports pandas, reads the
 * input CSV, runs the same transform, writes the output CSV and reads it back for a
 * preview. Figures:
 *   (a) a trivial transform on 10k rows (goals: p50 <= 100 ms, >= 4x faster than baseline)
 *   (b) an identity transform on 1M rows (goal: >= 4x faster than baseline)
 * (a) and (b) space their runs so the warm pool has refilled, as when a person presses
 * Run; back-to-back figures are printed too (then pandas imports refilling the pool,
 * ~0.3 s of CPU per sandbox, become the limit).
 *   (c) 32 jobs submitted at once: all finish, and the time to drain
 *   (d) how long after the timeout a spinning job ends, and a memory bomb's end
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { submit, upload, waitDone } from './support/jobs';
import { BenchServer, DATA_DIR, percentile, startServer } from './support/server';

const SMALL_ROWS = 10_000;
const LARGE_ROWS = 1_000_000;
const SMALL_RUNS = 40;
const LARGE_RUNS = 5;
const BASELINE_SMALL_RUNS = 10;
const BASELINE_LARGE_RUNS = 3;
const WARMUP_RUNS = 3;
/** Pauses between sequential runs: enough for the pool to refill (and prime) after a job. */
const SMALL_GAP_MS = 600;
const LARGE_GAP_MS = 1500;
const BURST = 32;
const POLL_MS = 2;
const PREVIEW_ROWS = 50;
const LIMIT_TIMEOUT_SECONDS = 2;
const REGIONS = ['north', 'south', 'east', 'west', 'central'];

const TRIVIAL = `import pandas as pd

def transform(df):
    return df.assign(amount_with_tax=df["amount"] * 1.2)
`;
const IDENTITY = `import pandas as pd

def transform(df):
    return df
`;

/** The seed pipeline: a fresh interpreter per job, CSV in, CSV out, CSV read back. */
const BASELINE = `
import sys
import pandas as pd
exec(compile(open(sys.argv[3]).read(), "transform", "exec"))
df = pd.read_csv(sys.argv[1])
out = transform(df)
out.to_csv(sys.argv[2], index=False)
back = pd.read_csv(sys.argv[2])
preview = back.head(${PREVIEW_ROWS}).to_json(orient="records")
print(len(back), len(preview))
`;

async function generateCsv(path: string, rows: number): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  out.write('id,customer,amount,region,order_date,paid\n');
  for (let i = 0; i < rows; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    const line = `${i},customer_${i % 50000},${((i * 7919) % 100000) / 100},${REGIONS[i % 5]},2024-${month}-${day},${i % 3 === 0}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

/** POST to `success`, in milliseconds; throws if the job failed. */
async function timedJob(url: string, session: string, code: string, rows: number): Promise<number> {
  const started = performance.now();
  const outcome = await waitDone(url, session, await submit(url, session, code), POLL_MS);
  const ms = performance.now() - started;
  if (outcome.status !== 'success' || outcome.output_row_count !== rows) {
    throw new Error(`job did not succeed: ${JSON.stringify(outcome)}`);
  }
  return ms;
}

async function baselineRun(input: string, code: string, rows: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'acb-baseline-'));
  try {
    const codeFile = join(dir, 'transform.py');
    await writeFile(codeFile, code);
    const started = performance.now();
    const out = execFileSync('/usr/bin/python3', [
      '-c',
      BASELINE,
      input,
      join(dir, 'out.csv'),
      codeFile,
    ]);
    const ms = performance.now() - started;
    if (Number(out.toString().split(' ')[0]) !== rows)
      throw new Error('baseline produced the wrong row count');
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const fmt = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;

function report(name: string, ours: number[], baseline: number[], goal: string): void {
  const [p50, p95] = [percentile(ours, 50), percentile(ours, 95)];
  const [b50, b95] = [percentile(baseline, 50), percentile(baseline, 95)];
  console.log(`\n${name}`);
  console.log(`  ${''.padEnd(28)}${'p50'.padStart(10)}${'p95'.padStart(10)}   runs`);
  console.log(
    `  ${'sandbox service'.padEnd(28)}${fmt(p50).padStart(10)}${fmt(p95).padStart(10)}   ${ours.length}`,
  );
  console.log(
    `  ${'baseline (cold python)'.padEnd(28)}${fmt(b50).padStart(10)}${fmt(b95).padStart(10)}   ${baseline.length}`,
  );
  console.log(`  speed-up at p50: ${(b50 / p50).toFixed(1)}x   (${goal})`);
}

/** Sequential jobs; `gapMs` between them lets the pool refill, as a person pressing Run would. */
async function series(
  url: string,
  session: string,
  code: string,
  rows: number,
  runs: number,
  gapMs: number,
) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    times.push(await timedJob(url, session, code, rows));
  }
  return times;
}

async function latency(server: BenchServer, small: string, large: string): Promise<void> {
  const smallSession = await upload(server.url, small);
  const largeSession = await upload(server.url, large);

  await series(server.url, smallSession, TRIVIAL, SMALL_ROWS, WARMUP_RUNS, 0);
  const ours = await series(
    server.url,
    smallSession,
    TRIVIAL,
    SMALL_ROWS,
    SMALL_RUNS,
    SMALL_GAP_MS,
  );
  const baseline: number[] = [];
  for (let i = 0; i < BASELINE_SMALL_RUNS; i++)
    baseline.push(await baselineRun(small, TRIVIAL, SMALL_ROWS));
  report(
    `(a) trivial transform, ${SMALL_ROWS.toLocaleString('en-US')} rows`,
    ours,
    baseline,
    'goal: p50 <= 100 ms and >= 4x',
  );
  const backToBack = await series(server.url, smallSession, TRIVIAL, SMALL_ROWS, SMALL_RUNS, 0);
  console.log(
    `  back to back (no gap; bound by pandas imports refilling the pool): p50 ${fmt(percentile(backToBack, 50))}, p95 ${fmt(percentile(backToBack, 95))}`,
  );

  const first = await timedJob(server.url, largeSession, IDENTITY, LARGE_ROWS);
  const large1 = await series(
    server.url,
    largeSession,
    IDENTITY,
    LARGE_ROWS,
    LARGE_RUNS,
    LARGE_GAP_MS,
  );
  const largeBase: number[] = [];
  for (let i = 0; i < BASELINE_LARGE_RUNS; i++)
    largeBase.push(await baselineRun(large, IDENTITY, LARGE_ROWS));
  report(
    `(b) identity transform, ${LARGE_ROWS.toLocaleString('en-US')} rows`,
    large1,
    largeBase,
    'goal: >= 4x',
  );
  console.log(
    `  first run of the session (exports its input once, no primed sandbox yet): ${fmt(first)}`,
  );
  const largeBackToBack = await series(
    server.url,
    largeSession,
    IDENTITY,
    LARGE_ROWS,
    LARGE_RUNS,
    0,
  );
  console.log(
    `  back to back (no gap): p50 ${fmt(percentile(largeBackToBack, 50))}, p95 ${fmt(percentile(largeBackToBack, 95))}`,
  );

  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: BURST }, () => submit(server.url, smallSession, TRIVIAL)),
  );
  const outcomes = await Promise.all(
    ids.map((id) => waitDone(server.url, smallSession, id, POLL_MS)),
  );
  const drained = performance.now() - started;
  const ok = outcomes.filter(
    (o) => o.status === 'success' && o.output_row_count === SMALL_ROWS,
  ).length;
  console.log(
    `\n(c) ${BURST} jobs submitted at once (${SMALL_ROWS.toLocaleString('en-US')} rows each)`,
  );
  console.log(
    `  succeeded: ${ok}/${BURST}   time to drain: ${fmt(drained)}   (${fmt(drained / BURST)} per job)`,
  );
}

async function limits(small: string): Promise<void> {
  const server = await startServer({ SANDBOX_TIMEOUT_SECONDS: String(LIMIT_TIMEOUT_SECONDS) });
  try {
    const session = await upload(server.url, small);
    console.log(`\n(d) limits (SANDBOX_TIMEOUT_SECONDS=${LIMIT_TIMEOUT_SECONDS})`);
    for (const [name, code] of [
      ['infinite loop', 'def transform(df):\n    while True:\n        pass\n'],
      ['memory bomb', 'def transform(df):\n    hog = "x" * (8 * 1024 ** 3)\n    return df\n'],
    ]) {
      const started = performance.now();
      const outcome = await waitDone(
        server.url,
        session,
        await submit(server.url, session, code),
        POLL_MS,
      );
      console.log(
        `  ${name.padEnd(14)} ended after ${fmt(performance.now() - started)}: ${outcome.error_message}`,
      );
    }
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<void> {
  const small = join(DATA_DIR, `exec-${SMALL_ROWS}.csv`);
  const large = join(DATA_DIR, `exec-${LARGE_ROWS}.csv`);
  await generateCsv(small, SMALL_ROWS);
  await generateCsv(large, LARGE_ROWS);
  console.log(
    `inputs: ${small} (${statSync(small).size} bytes), ${large} (${statSync(large).size} bytes)`,
  );
  const server = await startServer({
    SANDBOX_MAX_OUTPUT_ROWS: String(LARGE_ROWS),
    SANDBOX_MAX_QUEUED_JOBS: String(BURST * 2),
  });
  try {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { sandbox: unknown };
    console.log('sandbox:', JSON.stringify(health.sandbox));
    await latency(server, small, large);
  } finally {
    await server.stop();
  }
  await limits(small);
}
