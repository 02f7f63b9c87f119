/**
 * A ~50 MB XLSX upload (800k rows x 10 columns), each figure beside its baseline from the
 * same run:
 * - upload-to-ready time and peak server memory growth, beside openpyxl's read-only
 *   reading of the same file (what pandas.read_excel runs; BENCH_XLSX_PANDAS=1 times
 *   pandas.read_excel itself, much slower) with its own peak memory;
 * - GET /health latency (p50/p99) while the workbook is parsed, beside an idle server;
 * - the sheet XML tokenizer: the hand-written one (sheet-xml.ts) beside saxes, the fastest
 *   well-kept streaming XML parser measured, on the same sheet part. This is the measurement
 *   that justifies hand-written parsing code there;
 * - peak memory of the server and its children (the parse processes) for the high-ratio
 *   workbook of issue 9 (2.8 MB, shared strings of 524 MB), one and two at once, beside
 *   main before the bounds (measured on e0f0edb with this file, the same way).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { SheetXmlReader } from '../src/upload/xlsx/sheet-xml';
import { PartDecoder } from '../src/upload/xlsx/workbook-parts';
import { ZipParts } from '../src/upload/xlsx/zip-parts';
import { writeHostileXlsx } from '../test/support/hostile-xlsx';
import { buildZip } from '../test/support/zip-test-fixtures';
import { DATA_DIR, percentile, startServer } from './support/server';

/** Rows of the generated sheet; with 10 columns and Excel-like deflate this is ~50 MB. */
const ROWS = 800_000;
const BASELINE_MS = 10_000;
const HEALTH_P99_GOAL_MS = 100;
const UPLOAD_GOAL_SECONDS = 10;
const MEMORY_GOAL_MB = 500;
const MB = 1024 * 1024;
const PYTHON = process.env.SANDBOX_PYTHON ?? '/usr/bin/python3';
const SERVER_RSS_SAMPLE_MS = 50;
const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const PRODUCT_COUNT = 200;
const CUSTOMER_COUNT = 50_000;
const NOTE_COUNT = 100_000;
/** Excel day serial of 2023-01-01; order dates fall in the two years after it. */
const FIRST_ORDER_SERIAL = 44_927;
const ORDER_DAYS = 730;
const SECONDS_PER_DAY = 86_400;
const MAX_PRICE_CENTS = 100_000;
const MAX_QUANTITY = 50;
const COLUMNS = [
  'id',
  'order_date',
  'customer',
  'region',
  'product',
  'quantity',
  'unit_price',
  'discount',
  'paid',
  'note',
];

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

/** Deterministic pseudo-random numbers, so the cached file is the same on every machine. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * Writes the sheet XML directly (SheetJS would need the whole workbook as objects) and
 * deflates it with zlib, as Excel does: the file is as dense as a real 50 MB workbook.
 */
export function generateXlsx(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const random = lcg(42);
  const strings: string[] = [
    ...COLUMNS,
    ...REGIONS,
    ...Array.from({ length: PRODUCT_COUNT }, (_, i) => `product ${i}`),
    ...Array.from({ length: CUSTOMER_COUNT }, (_, i) => `customer_${i}`),
    ...Array.from({ length: NOTE_COUNT }, (_, i) => `note ${(i * 7919).toString(36)} & more`),
  ];
  const regionAt = COLUMNS.length;
  const productAt = regionAt + REGIONS.length;
  const customerAt = productAt + PRODUCT_COUNT;
  const noteAt = customerAt + CUSTOMER_COUNT;

  const chunks: string[] = [
    `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData>`,
    `<row r="1">${COLUMNS.map((_, c) => `<c r="${String.fromCharCode(65 + c)}1" t="s"><v>${c}</v></c>`).join('')}</row>`,
  ];
  for (let i = 1; i <= ROWS; i++) {
    const r = i + 1;
    const serial =
      FIRST_ORDER_SERIAL +
      Math.floor(random() * ORDER_DAYS) +
      Math.floor(random() * SECONDS_PER_DAY) / SECONDS_PER_DAY;
    chunks.push(
      `<row r="${r}"><c r="A${r}"><v>${i}</v></c><c r="B${r}" s="1"><v>${serial}</v></c>` +
        `<c r="C${r}" t="s"><v>${customerAt + Math.floor(random() * CUSTOMER_COUNT)}</v></c>` +
        `<c r="D${r}" t="s"><v>${regionAt + (i % REGIONS.length)}</v></c>` +
        `<c r="E${r}" t="s"><v>${productAt + Math.floor(random() * PRODUCT_COUNT)}</v></c>` +
        `<c r="F${r}"><v>${1 + Math.floor(random() * MAX_QUANTITY)}</v></c>` +
        `<c r="G${r}"><v>${Math.floor(random() * MAX_PRICE_CENTS) / 100}</v></c>` +
        `<c r="H${r}"><v>${Math.round(random() * 30) / 100}</v></c>` +
        `<c r="I${r}" t="b"><v>${random() < 0.5 ? 1 : 0}</v></c>` +
        `<c r="J${r}" t="s"><v>${noteAt + Math.floor(random() * NOTE_COUNT)}</v></c></row>`,
    );
  }
  chunks.push('</sheetData></worksheet>');

  const sst =
    `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="${strings.length}" uniqueCount="${strings.length}">` +
    strings.map((s) => `<si><t>${escapeXml(s)}</t></si>`).join('') +
    '</sst>';
  // Styles complete enough for openpyxl, so that the baseline reads the same file.
  const styles =
    `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>' +
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>' +
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
    '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>' +
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs>' +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';
  const entries = {
    '[Content_Types].xml':
      `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      `<Override PartName="/xl/workbook.xml" ContentType="${CT}.sheet.main+xml"/>` +
      `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="${CT}.worksheet+xml"/>` +
      `<Override PartName="/xl/sharedStrings.xml" ContentType="${CT}.sharedStrings+xml"/>` +
      `<Override PartName="/xl/styles.xml" ContentType="${CT}.styles+xml"/></Types>`,
    '_rels/.rels':
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
      `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml':
      `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
      '<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>',
    'xl/_rels/workbook.xml.rels':
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
      `<Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>` +
      `<Relationship Id="rId2" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>` +
      `<Relationship Id="rId3" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`,
    'xl/styles.xml': styles,
    'xl/sharedStrings.xml': sst,
  };
  const sheet = Buffer.concat(chunks.map((c) => Buffer.from(c, 'utf8')));
  chunks.length = 0;
  writeFileSync(
    path,
    buildZip([
      ...Object.entries(entries).map(([name, xml]) => ({ name, data: Buffer.from(xml, 'utf8') })),
      { name: 'xl/worksheets/sheet1.xml', data: sheet },
    ]),
  );
}

/** GET /health one request after another until `until` settles; latencies in ms. */
async function probeHealth(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const started = performance.now();
    const res = await fetch(`${url}/health`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`/health answered ${res.status}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

const ms = (values: number[], p: number): string => percentile(values, p).toFixed(1);

async function uploadOnce(
  url: string,
  path: string,
): Promise<{ seconds: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('file', await openAsBlob(path), 'orders.xlsx');
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/upload`, { method: 'POST', body: form });
  const body = (await res.json()) as Record<string, unknown>;
  const seconds = (performance.now() - started) / 1000;
  if (res.status !== 200 || body.row_count !== ROWS) {
    throw new Error(`upload failed: ${res.status} ${JSON.stringify(body)}`);
  }
  await fetch(`${url}/api/v1/sessions/${String(body.session_id)}`, { method: 'DELETE' });
  return { seconds, body };
}

interface Measured {
  seconds: number;
  cpuSeconds: number;
}

/** Runs `work` and measures wall and CPU time of this process (all its threads). */
async function measured(work: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

/** The sheet part through each tokenizer: inflate and decode alone, then saxes, then ours. */
async function compareTokenizers(
  path: string,
): Promise<Record<string, Measured & { cells: number }>> {
  const zip = await ZipParts.open(path);
  const sheet = 'xl/worksheets/sheet1.xml';
  const pass = async (feed: (text: string) => void, end: () => void): Promise<Measured> =>
    measured(async () => {
      const decoder = new PartDecoder();
      await zip.stream(sheet, (chunk) => feed(decoder.decode(chunk)));
      feed(decoder.decode(Buffer.alloc(0), true));
      end();
    });
  try {
    const inflate = await pass(
      () => undefined,
      () => undefined,
    );
    let saxesCells = 0;
    const saxes = new SaxesParser({ position: false });
    saxes.on('opentag', (tag) => {
      if (tag.name === 'c') saxesCells++;
    });
    saxes.on('text', () => undefined);
    const saxesRun = await pass(
      (text) => saxes.write(text),
      () => saxes.close(),
    );
    let ourCells = 0;
    const ours = new SheetXmlReader({
      rowStart: () => undefined,
      cell: () => ourCells++,
      rowEnd: () => undefined,
    });
    const oursRun = await pass(
      (text) => ours.write(text),
      () => ours.end(),
    );
    return {
      'inflate + decode only': { ...inflate, cells: 0 },
      'saxes 6 (baseline)': { ...saxesRun, cells: saxesCells },
      'sheet-xml.ts (ours)': { ...oursRun, cells: ourCells },
    };
  } finally {
    zip.close();
  }
}

/** Reads the workbook as pandas does (openpyxl read-only, or pandas.read_excel): time, CPU, peak RSS. */
function baseline(
  path: string,
  pandas: boolean,
): { label: string; seconds: number; cpuSeconds: number; peakMb: number } {
  const script = pandas
    ? 'import pandas as pd, sys\ndf = pd.read_excel(sys.argv[1])\nrows = len(df)\n'
    : 'import openpyxl, sys\nwb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)\n' +
      'rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True)) - 1\n';
  const measure =
    'import resource, time, warnings\nwarnings.simplefilter("ignore")\nstarted = time.time()\n' +
    script +
    'u = resource.getrusage(resource.RUSAGE_SELF)\n' +
    'print(rows, time.time() - started, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)\n';
  const [rows, seconds, cpuSeconds, peakMb] = execFileSync(PYTHON, ['-c', measure, path], {
    maxBuffer: MB,
  })
    .toString()
    .trim()
    .split(' ')
    .map(Number);
  if (rows !== ROWS) throw new Error(`baseline read ${rows} rows`);
  return {
    label: pandas
      ? 'pandas.read_excel (baseline)'
      : 'openpyxl read-only, as read_excel reads (baseline)',
    seconds,
    cpuSeconds,
    peakMb,
  };
}

/** Main before the bounds (e0f0edb): peak server RSS in MB (the parse ran in a thread of it), answers. */
const HIGH_RATIO_BEFORE = {
  one: { peakMb: 2000, answers: '200' },
  two: { peakMb: 3500, answers: '200, 200' },
};

/** The issue-9 workbook uploaded once, then twice at once: peak memory and answers. */
async function highRatio(): Promise<void> {
  const path = join(DATA_DIR, 'high-ratio-524mb-shared-strings.xlsx');
  if (!existsSync(path)) {
    mkdirSync(DATA_DIR, { recursive: true });
    await writeHostileXlsx(path, 'long-shared-strings', { chars: 524 * MB });
  }
  const rows: Record<string, Record<string, string>> = {};
  for (const [label, times] of [
    ['one', 1],
    ['two', 2],
  ] as const) {
    // No warm sandboxes, so that the figure is the server's and its parses'.
    const server = await startServer({ SANDBOX_POOL_SIZE: '0' });
    try {
      const baseMb = server.treeRssBytes() / MB;
      let peakMb = baseMb;
      const sampler = setInterval(
        () => (peakMb = Math.max(peakMb, server.treeRssBytes() / MB)),
        SERVER_RSS_SAMPLE_MS,
      );
      const answers = await Promise.all(
        Array.from({ length: times }, async () => {
          const form = new FormData();
          form.append('file', await openAsBlob(path), 'high-ratio.xlsx');
          const res = await fetch(`${server.url}/api/v1/upload`, { method: 'POST', body: form });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      clearInterval(sampler);
      const before = HIGH_RATIO_BEFORE[label];
      rows[`${times} at once: main before (baseline)`] = {
        'peak MB': String(before.peakMb),
        answers: before.answers,
      };
      rows[`${times} at once: ours`] = {
        'peak MB': `${peakMb.toFixed(0)} (idle ${baseMb.toFixed(0)})`,
        answers: answers.join(', '),
      };
    } finally {
      await server.stop();
    }
  }
  console.log(
    `High-ratio XLSX (issue 9): ${(statSync(path).size / MB).toFixed(1)} MB, shared strings of 524 MB; ` +
      'peak RSS of the server and its children',
  );
  console.table(rows);
}

export async function run(): Promise<void> {
  await highRatio();
  const path = join(DATA_DIR, `orders-${ROWS / 1000}k-v2.xlsx`);
  const generationStarted = performance.now();
  generateXlsx(path);
  const generationSeconds = (performance.now() - generationStarted) / 1000;
  const sizeMb = statSync(path).size / MB;

  const tokenizers = await compareTokenizers(path);

  const server = await startServer({ MAX_UPLOAD_SIZE_MB: '200' });
  let idle: number[];
  let busy: number[] = [];
  let probedSeconds: number;
  let quietSeconds: number;
  let peakRssMb = 0;
  let quietPeakRssMb = 0;
  try {
    idle = await probeHealth(server.url, new Promise((r) => setTimeout(r, BASELINE_MS)));

    const sample = (base: number, set: (mb: number) => void) =>
      setInterval(() => set((server.rssBytes() - base) / MB), SERVER_RSS_SAMPLE_MS);
    let baseRss = server.rssBytes();
    let sampler = sample(baseRss, (mb) => (peakRssMb = Math.max(peakRssMb, mb)));
    let uploaded!: () => void;
    const finished = new Promise<void>((r) => (uploaded = r));
    const probing = probeHealth(server.url, finished);
    const probed = await uploadOnce(server.url, path).finally(() => uploaded());
    busy = await probing;
    probedSeconds = probed.seconds;
    clearInterval(sampler);
    console.log('columns and dtypes:', JSON.stringify(probed.body.dtypes));

    // The probe loop itself takes CPU on a small machine; this run shows the upload alone.
    baseRss = server.rssBytes();
    sampler = sample(baseRss, (mb) => (quietPeakRssMb = Math.max(quietPeakRssMb, mb)));
    quietSeconds = (await uploadOnce(server.url, path)).seconds;
    clearInterval(sampler);
  } finally {
    await server.stop();
  }
  const reference = baseline(path, process.env.BENCH_XLSX_PANDAS === '1');

  console.log(
    `XLSX: ${ROWS.toLocaleString()} rows x ${COLUMNS.length} columns, ${sizeMb.toFixed(1)} MB` +
      (generationSeconds > 1 ? ` (generated in ${generationSeconds.toFixed(1)} s)` : ' (cached)'),
  );
  console.table({
    'upload to ready, alone (ours)': {
      seconds: quietSeconds.toFixed(2),
      'peak memory growth MB': quietPeakRssMb.toFixed(0),
    },
    'upload to ready, /health probed (ours)': {
      seconds: probedSeconds.toFixed(2),
      'peak memory growth MB': peakRssMb.toFixed(0),
    },
    [reference.label]: {
      seconds: reference.seconds.toFixed(2),
      'peak memory growth MB': `${reference.peakMb.toFixed(0)} (process peak)`,
    },
  });
  console.log(
    `upload goal (< ${UPLOAD_GOAL_SECONDS} s, < +${MEMORY_GOAL_MB} MB server memory): ` +
      (quietSeconds < UPLOAD_GOAL_SECONDS && quietPeakRssMb < MEMORY_GOAL_MB ? 'met' : 'NOT met') +
      ` (baseline CPU ${reference.cpuSeconds.toFixed(1)} s)`,
  );
  const latency = (values: number[]) => ({
    requests: values.length,
    'p50 ms': ms(values, 50),
    'p99 ms': ms(values, 99),
    'max ms': Math.max(...values).toFixed(1),
  });
  console.table({
    'idle server (baseline)': latency(idle),
    'during the XLSX upload': latency(busy),
  });
  const p99 = percentile(busy, 99);
  const verdict = p99 < HEALTH_P99_GOAL_MS ? 'met' : 'NOT met';
  console.log(
    `/health p99 during upload: ${p99.toFixed(1)} ms (goal < ${HEALTH_P99_GOAL_MS} ms): ${verdict}`,
  );
  console.table(
    Object.fromEntries(
      Object.entries(tokenizers).map(([name, m]) => [
        name,
        { cells: m.cells, seconds: m.seconds.toFixed(2), 'CPU seconds': m.cpuSeconds.toFixed(2) },
      ]),
    ),
  );
}
