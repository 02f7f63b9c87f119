/**
 * prepareCsvText on a ~100 MB CSV, each path beside the I/O it cannot beat, measured in the
 * same run: the UTF-8 fast path against a plain sequential read of the file, and the
 * transcoding paths (cp1252, UTF-8 with one stray byte) against a plain copy of the file.
 * Also the process's peak RSS growth while transcoding (memory must stay bounded).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { prepareCsvText } from '../src/upload/csv/csv-text';
import { DATA_DIR, median } from './support/server';

const ROWS = 2_200_000;
const RUNS = 5;
const RSS_SAMPLE_MS = 5;
const CITIES = ['São Paulo', 'Kraków', 'Malmö', 'Zürich', 'Besançon', 'Reykjavík', 'Oslo'];

/** `rows` of text; every line has accented letters, as real exports in these languages do. */
async function generate(path: string, encoding: 'utf8' | 'latin1', strayAtEnd: boolean) {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  const write = async (text: string, enc: BufferEncoding = encoding) => {
    if (!out.write(Buffer.from(text, enc))) await once(out, 'drain');
  };
  await write('id,station,city,reading,note\n');
  for (let i = 0; i < ROWS; i++) {
    const city = CITIES[i % CITIES.length];
    await write(`${i},S${i % 997},${city},${(i % 400) / 10} °C,"café, crème ${i % 89}"\n`);
  }
  if (strayAtEnd) await write('9999999,S1,Caf\u00e9 Nord,12 °C,stray\n', 'latin1');
  out.end();
  await once(out, 'finish');
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function plainRead(path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) void chunk;
}

async function plainCopy(path: string, target: string): Promise<void> {
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), createWriteStream(target));
}

interface Figure {
  seconds: number;
  rssMb: number;
}

/** One timed call of `fn` and the largest RSS growth seen while it ran. */
async function once_(fn: () => Promise<unknown>): Promise<Figure> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(
    () => (peak = Math.max(peak, process.memoryUsage.rss())),
    RSS_SAMPLE_MS,
  );
  const seconds = await timed(fn).finally(() => clearInterval(sampler));
  return { seconds, rssMb: (peak - before) / (1024 * 1024) };
}

/** Medians of `subject` and `baseline`, run alternately so both see the same machine. */
async function pair(
  subject: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<[Figure, Figure]> {
  const a: Figure[] = [];
  const b: Figure[] = [];
  for (let i = 0; i < RUNS; i++) {
    b.push(await once_(baseline));
    a.push(await once_(subject));
  }
  const summary = (runs: Figure[]): Figure => ({
    seconds: median(runs.map((r) => r.seconds)),
    rssMb: Math.max(...runs.map((r) => r.rssMb)),
  });
  return [summary(a), summary(b)];
}

export async function run(): Promise<void> {
  const utf8 = join(DATA_DIR, 'text-utf8.csv');
  const cp1252 = join(DATA_DIR, 'text-cp1252.csv');
  const stray = join(DATA_DIR, 'text-utf8-stray.csv');
  await generate(utf8, 'utf8', false);
  await generate(cp1252, 'latin1', false);
  await generate(stray, 'utf8', true);
  const work = await mkdtemp(join(tmpdir(), 'csv-text-bench-'));
  try {
    const mb = (path: string) => statSync(path).size / (1024 * 1024);
    await plainRead(utf8); // warm the page cache for every figure alike
    await plainRead(cp1252);
    await plainRead(stray);

    const [fast, read] = await pair(
      () => prepareCsvText(utf8, work),
      () => plainRead(utf8),
    );
    const [legacy, copy] = await pair(
      () => prepareCsvText(cp1252, work),
      () => plainCopy(cp1252, join(work, 'copy.csv')),
    );
    const [replaced, strayCopy] = await pair(
      () => prepareCsvText(stray, work),
      () => plainCopy(stray, join(work, 'copy.csv')),
    );

    const row = (m: Figure, size: number, base?: number) => ({
      seconds: m.seconds.toFixed(3),
      'MB/s': (size / m.seconds).toFixed(0),
      'extra s': base === undefined ? '' : (m.seconds - base).toFixed(3),
      'vs baseline': base === undefined ? '1.00x' : `${(m.seconds / base).toFixed(2)}x`,
      'peak RSS +MB': m.rssMb.toFixed(0),
    });
    console.log(`median of ${RUNS} runs, files in the page cache`);
    console.table({
      [`UTF-8 fast path, ${mb(utf8).toFixed(0)} MB`]: row(fast, mb(utf8), read.seconds),
      'baseline: plain sequential read of it': row(read, mb(utf8)),
      [`cp1252 → UTF-8, ${mb(cp1252).toFixed(0)} MB`]: row(legacy, mb(cp1252), copy.seconds),
      'baseline: plain copy of it': row(copy, mb(cp1252)),
      [`UTF-8 + 1 stray byte, ${mb(stray).toFixed(0)} MB`]: row(
        replaced,
        mb(stray),
        strayCopy.seconds,
      ),
      'baseline: plain copy of that one': row(strayCopy, mb(stray)),
    });
    console.log(
      'goal: fast path < 0.2 s over the plain read at 100 MB; transcoding in bounded memory',
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
