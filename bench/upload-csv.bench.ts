/**
 * Upload-to-ready time for a 1M-row (~50 MB) CSV and for a wide one (1,000 rows x 2,000
 * columns, ~8 MB) against `pandas.read_csv` of the same file, and the server's peak RSS
 * growth during the upload. Then GET /health latency while 30 uploads of a 20k-row CSV
 * run at once, beside the idle figure of the same server (`npm run bench upload-csv`;
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of that server there).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { probeHealth } from './support/health-probe';
import { curlUpload, DATA_DIR, median, percentile, startServer } from './support/server';

const ROWS = 1_000_000;
const WIDE_ROWS = 1_000;
const WIDE_COLUMNS = 2_000;
const RUNS = 3;
const CATEGORIES = ['north', 'south', 'east', 'west', 'central'];
const CONCURRENT_UPLOADS = 30;
const CONCURRENT_ROWS = 20_000;
const IDLE_MS = 3000;
const P99_GOAL_MS = 100;

async function generateCsv(path: string, rows = ROWS): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  out.write('id,customer,amount,region,order_date,paid,note\n');
  for (let i = 0; i < rows; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    const line = `${i},customer_${i % 50000},${((i * 7919) % 100000) / 100},${CATEGORIES[i % 5]},2024-${month}-${day},${i % 3 === 0},"note ${i % 997}"\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

/** Half integer, half decimal columns, as in a matrix of measurements. */
async function generateWideCsv(path: string): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  out.write(`${Array.from({ length: WIDE_COLUMNS }, (_, j) => `m${j}`).join(',')}\n`);
  for (let i = 0; i < WIDE_ROWS; i++) {
    const cells = Array.from({ length: WIDE_COLUMNS }, (_, j) =>
      j % 2 ? String((i * j) % 1000) : ((i + j) / 7).toFixed(3),
    );
    if (!out.write(`${cells.join(',')}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

function pandasReadCsvSeconds(path: string): number {
  const script =
    'import sys,time\nimport pandas as pd\nt=time.perf_counter()\npd.read_csv(sys.argv[1])\nprint(time.perf_counter()-t)';
  return Number(execFileSync('/usr/bin/python3', ['-c', script, path]).toString().trim());
}

interface UploadRun {
  totalSeconds: number;
  ingestSeconds: number;
  rssGrowthMb: number;
}

/** One upload, with the server's RSS sampled while it runs. */
async function uploadOnce(
  url: string,
  path: string,
  rows: number,
  rssBytes: () => number,
): Promise<UploadRun> {
  const before = rssBytes();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes())), 10);
  const started = performance.now();
  const { headers, body } = await curlUpload(url, path).finally(() => clearInterval(sampler));
  const totalSeconds = (performance.now() - started) / 1000;
  const ingest = /server-timing: ingest;dur=(\d+)/i.exec(headers);
  if (!ingest || body.row_count !== rows) throw new Error(`upload failed: ${JSON.stringify(body)}`);
  await fetch(`${url}/api/v1/sessions/${String(body.session_id)}`, { method: 'DELETE' });
  return {
    totalSeconds,
    ingestSeconds: Number(ingest[1]) / 1000,
    rssGrowthMb: (peak - before) / (1024 * 1024),
  };
}

interface Measured {
  runs: UploadRun[];
  pandas: number;
}

async function measure(
  url: string,
  path: string,
  rows: number,
  rss: () => number,
): Promise<Measured> {
  const runs: UploadRun[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await uploadOnce(url, path, rows, rss));
  return { runs, pandas: median(Array.from({ length: RUNS }, () => pandasReadCsvSeconds(path))) };
}

function report(title: string, { runs, pandas }: Measured): void {
  const total = median(runs.map((r) => r.totalSeconds));
  const ingest = median(runs.map((r) => r.ingestSeconds));
  console.log(`${title}, median of ${RUNS} runs`);
  console.table({
    'ours: upload to ready (HTTP transfer incl.)': {
      seconds: total.toFixed(3),
      'vs pandas': `${(pandas / total).toFixed(2)}x`,
    },
    'ours: file on disk to ready (Server-Timing)': {
      seconds: ingest.toFixed(3),
      'vs pandas': `${(pandas / ingest).toFixed(2)}x`,
    },
    'baseline: pandas.read_csv of the file': { seconds: pandas.toFixed(3), 'vs pandas': '1.00x' },
  });
}

export async function run(): Promise<void> {
  const path = join(DATA_DIR, 'orders-1m.csv');
  const widePath = join(DATA_DIR, 'wide-1000x2000.csv');
  await generateCsv(path);
  await generateWideCsv(widePath);
  const mb = (p: string): string => (statSync(p).size / (1024 * 1024)).toFixed(1);

  const server = await startServer({ MAX_UPLOAD_SIZE_MB: '200' });
  let long: Measured;
  let wide: Measured;
  try {
    long = await measure(server.url, path, ROWS, server.rssBytes);
    wide = await measure(server.url, widePath, WIDE_ROWS, server.rssBytes);
  } finally {
    await server.stop();
  }
  report(`CSV: ${ROWS.toLocaleString()} rows x 7 columns, ${mb(path)} MB`, long);
  console.log('goal: upload to ready within 10% of the ~0.8 s measured before pandas typing');
  const rss = Math.max(...long.runs.map((r) => r.rssGrowthMb));
  console.log(`peak server RSS growth during an upload: ${rss.toFixed(0)} MB (goal < 200 MB)`);
  report(
    `CSV: ${WIDE_ROWS.toLocaleString()} rows x ${WIDE_COLUMNS.toLocaleString()} columns, ${mb(widePath)} MB`,
    wide,
  );
  console.log('goal: file on disk to ready within 2x pandas.read_csv (0.50x or more)');
  await runConcurrent();
}

const latencyRow = (label: string, values: number[]): string =>
  `${label.padEnd(30)} n=${String(values.length).padStart(5)}  p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(values, 99).toFixed(1).padStart(7)} ms  max ${Math.max(
    ...values,
  )
    .toFixed(1)
    .padStart(7)} ms`;

/** /health latency, idle and while CONCURRENT_UPLOADS uploads of a 20k-row CSV run at once. */
export async function runConcurrent(): Promise<void> {
  const path = join(DATA_DIR, `orders-${CONCURRENT_ROWS / 1000}k.csv`);
  await generateCsv(path, CONCURRENT_ROWS);
  const profileDir = process.env.BENCH_CPU_PROF;
  const server = await startServer(
    { RATE_LIMIT_UPLOAD_MAX: '1000' },
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  try {
    await curlUpload(server.url, path); // warm-up
    const idleProbe = probeHealth(server.url);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = await idleProbe.stop();
    const probe = probeHealth(server.url);
    const started = performance.now();
    const uploads = await Promise.all(
      Array.from({ length: CONCURRENT_UPLOADS }, () => curlUpload(server.url, path)),
    );
    const seconds = (performance.now() - started) / 1000;
    const loaded = await probe.stop();
    const failed = uploads.filter((u) => u.body.row_count !== CONCURRENT_ROWS).length;
    if (failed > 0)
      throw new Error(
        `${failed} uploads failed: ${JSON.stringify(uploads.find((u) => u.body.row_count !== CONCURRENT_ROWS)?.body)}`,
      );
    console.log(`${CONCURRENT_UPLOADS} concurrent uploads of a ${CONCURRENT_ROWS}-row CSV`);
    console.log(latencyRow('/health idle', idle));
    console.log(latencyRow('/health during the uploads', loaded));
    const p99 = percentile(loaded, 99);
    console.log(
      `  all ready in ${seconds.toFixed(1)} s; /health p99 ${p99.toFixed(1)} ms vs idle ` +
        `${percentile(idle, 99).toFixed(1)} ms (goal < ${P99_GOAL_MS} ms): ${p99 < P99_GOAL_MS ? 'met' : 'NOT met'}`,
    );
  } finally {
    await server.stop();
  }
}
