/**
 * Upload-to-ready time for a 1M-row (~50 MB) CSV against `pandas.read_csv` of the same
 * file, and the server's peak RSS growth during the upload.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openAsBlob, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, median, startServer } from './support/server';

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

export async function run(): Promise<void> {
  const path = join(DATA_DIR, 'orders-1m.csv');
  await generateCsv(path);
  const sizeMb = statSync(path).size / (1024 * 1024);

  const server = await startServer({ MAX_UPLOAD_SIZE_MB: '200' });
  const ours: number[] = [];
  const rssGrowth: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const before = server.rssBytes();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, server.rssBytes())), 10);
      const form = new FormData();
      form.append('file', await openAsBlob(path), 'orders-1m.csv');
      const started = performance.now();
      const res = await fetch(`${server.url}/api/v1/upload`, { method: 'POST', body: form });
      const body = (await res.json()) as { row_count?: number; session_id?: string };
      ours.push((performance.now() - started) / 1000);
      clearInterval(sampler);
      rssGrowth.push((peak - before) / (1024 * 1024));
      if (res.status !== 200 || body.row_count !== ROWS)
        throw new Error(`upload failed: ${JSON.stringify(body)}`);
      await fetch(`${server.url}/api/v1/sessions/${body.session_id}`, { method: 'DELETE' });
    }
  } finally {
    await server.stop();
  }
  const baseline = Array.from({ length: RUNS }, () => pandasReadCsvSeconds(path));

  const ourMedian = median(ours);
  const baseMedian = median(baseline);
  console.log(
    `CSV: ${ROWS.toLocaleString()} rows, ${sizeMb.toFixed(1)} MB, median of ${RUNS} runs`,
  );
  console.table({
    'upload to ready (ours, HTTP incl.)': { seconds: ourMedian.toFixed(3) },
    'pandas.read_csv (baseline)': { seconds: baseMedian.toFixed(3) },
  });
  console.log(`speed-up vs pandas.read_csv: ${(baseMedian / ourMedian).toFixed(2)}x (goal >= 2x)`);
  console.log(
    `peak server RSS growth during upload: ${Math.max(...rssGrowth).toFixed(0)} MB (goal < 200 MB)`,
  );
}
