/**
 * Upload-to-ready time for a 1M-row (~50 MB) CSV against `pandas.read_csv` of the same
 * file, and the server's peak RSS growth during the upload.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { curlUpload, DATA_DIR, median, startServer } from './support/server';

const ROWS = 1_000_000;
const RUNS = 3;
const CATEGORIES = ['north', 'south', 'east', 'west', 'central'];

async function generateCsv(path: string): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  out.write('id,customer,amount,region,order_date,paid,note\n');
  for (let i = 0; i < ROWS; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    const line = `${i},customer_${i % 50000},${((i * 7919) % 100000) / 100},${CATEGORIES[i % 5]},2024-${month}-${day},${i % 3 === 0},"note ${i % 997}"\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
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
async function uploadOnce(url: string, path: string, rssBytes: () => number): Promise<UploadRun> {
  const before = rssBytes();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes())), 10);
  const started = performance.now();
  const { headers, body } = await curlUpload(url, path).finally(() => clearInterval(sampler));
  const totalSeconds = (performance.now() - started) / 1000;
  const ingest = /server-timing: ingest;dur=(\d+)/i.exec(headers);
  if (!ingest || body.row_count !== ROWS) throw new Error(`upload failed: ${JSON.stringify(body)}`);
  await fetch(`${url}/api/v1/sessions/${String(body.session_id)}`, { method: 'DELETE' });
  return {
    totalSeconds,
    ingestSeconds: Number(ingest[1]) / 1000,
    rssGrowthMb: (peak - before) / (1024 * 1024),
  };
}

export async function run(): Promise<void> {
  const path = join(DATA_DIR, 'orders-1m.csv');
  await generateCsv(path);
  const sizeMb = statSync(path).size / (1024 * 1024);

  const server = await startServer({ MAX_UPLOAD_SIZE_MB: '200' });
  const runs: UploadRun[] = [];
  try {
    for (let i = 0; i < RUNS; i++) runs.push(await uploadOnce(server.url, path, server.rssBytes));
  } finally {
    await server.stop();
  }
  const baseline = Array.from({ length: RUNS }, () => pandasReadCsvSeconds(path));

  const total = median(runs.map((r) => r.totalSeconds));
  const ingest = median(runs.map((r) => r.ingestSeconds));
  const pandas = median(baseline);
  console.log(
    `CSV: ${ROWS.toLocaleString()} rows, ${sizeMb.toFixed(1)} MB, median of ${RUNS} runs`,
  );
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
  console.log('goal: upload to ready >= 2x faster than pandas.read_csv');
  const rss = Math.max(...runs.map((r) => r.rssGrowthMb));
  console.log(`peak server RSS growth during an upload: ${rss.toFixed(0)} MB (goal < 200 MB)`);
}
