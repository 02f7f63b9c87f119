/**
 * Is the API's event loop free? GET /health latency (p50/p99/max), probed from a process
 * of its own, beside the idle figure of the same server:
 *   (a) idle;
 *   (b) under mixed load: 30 uploads of a 20k-row CSV, 20 streamed generations (the
 *       fake Anthropic server as the model) and 20 jobs, all at once;
 *   (c) while a 100,000 x 40 output downloads as XLSX.
 * Goal: p99 < 100 ms under load. The time a code check takes (POST /execute of code the
 * checker refuses, answered 400) is printed idle and under load too.
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of the server (node --cpu-prof) there.
 *
 * Then, in this process, the main-thread cost of starting a sandbox, side by side: the
 * synchronous part of launch() with spawn() in the calling process (how sandboxes were
 * started before the launcher; the baseline) and through the sandbox launcher, plus the
 * event-loop time one code check (checker.py in a sandbox, one per submitted job) costs
 * either way. fork() cost grows with the caller's memory, so this process first takes on
 * ballast up to the server's RSS under load.
 */
import { ConfigType } from '@nestjs/config';
import { spawn } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sandboxConfig, storageConfig } from '../src/config/configuration';
import { BubblewrapSandbox } from '../src/sandbox/drivers/bubblewrap-sandbox';
import { SandboxCodeChecker } from '../src/sandbox/checker/code-checker.service';
import { ProcessSandbox } from '../src/sandbox/drivers/process-sandbox';
import {
  LaunchedSandbox,
  LaunchSpec,
  SandboxLauncher,
} from '../src/sandbox/drivers/sandbox-launcher';
import { SandboxProvider } from '../src/sandbox/drivers/sandbox-provider';
import { killBubblewrap, killProcessGroup } from '../src/sandbox/drivers/sandbox-spawn';
import { loadSandboxPolicy } from '../src/sandbox/policy/sandbox-policy';
import { SandboxStatusProvider } from '../src/sandbox/sandbox-status';
import { SandboxWorkspace } from '../src/sandbox/sandbox-workspace';
import { FakeAnthropic, textReply } from '../test/support/fake-anthropic';
import { probeHealth } from './support/health-probe';
import { BenchServer, curlUpload, DATA_DIR, percentile, startServer } from './support/server';

const API_KEY = 'sk-ant-bench-0000000000000000';
const UPLOADS = 30;
const UPLOAD_ROWS = 20_000;
const GENERATIONS = 20;
const GENERATION_DELTAS = 120;
const DELTA_GAP_MS = 10;
const JOBS = 20;
const IDLE_MS = 3000;
const XLSX_ROWS = 100_000;
const XLSX_COLUMNS = 40;
const P99_GOAL_MS = 100;
const CHECKS = 10;
/** Launches (and code checks) measured each way in the main-thread comparison. */
const LAUNCH_SAMPLES = 20;
const REGIONS = ['north', 'south', 'east', 'west', 'central'];

const JOB_CODE = `import pandas as pd

def transform(df):
    return df.groupby("region", as_index=False)["amount"].sum()
`;
const REFUSED_CODE = `import os

def transform(df):
    return df
`;
/** 40 columns of every kind the XLSX writer handles: numbers, text, booleans, dates. */
const WIDE_CODE = `import pandas as pd
import numpy as np

def transform(df):
    n = ${XLSX_ROWS}
    i = np.arange(n)
    cols = {}
    for k in range(${XLSX_COLUMNS}):
        kind = k % 5
        if kind == 0:
            cols[f"int_{k}"] = i * (k + 1)
        elif kind == 1:
            cols[f"float_{k}"] = i / (k + 3)
        elif kind == 2:
            cols[f"text_{k}"] = pd.Series(i % 997).astype(str).radd("item ")
        elif kind == 3:
            cols[f"flag_{k}"] = i % 3 == 0
        else:
            cols[f"day_{k}"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 1000, unit="h")
    return pd.DataFrame(cols)
`;

async function generateCsv(path: string, rows: number): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const out = createWriteStream(path);
  out.write('id,customer,amount,region,order_date,paid\n');
  for (let i = 0; i < rows; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const line = `${i},customer_${i % 5000},${((i * 7919) % 100000) / 100},${REGIONS[i % 5]},2024-03-${day},${i % 3 === 0}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function runJob(api: string, sessionId: string, code: string): Promise<void> {
  const res = await post(`${api}/execute`, { session_id: sessionId, code });
  if (!res.ok) throw new Error(`execute answered ${res.status}: ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  for (;;) {
    const job = (await (await fetch(`${api}/execute/${sessionId}/${job_id}`)).json()) as {
      status: string;
      error_message: string | null;
    };
    if (job.status === 'success') return;
    if (job.status === 'error') throw new Error(`job failed: ${job.error_message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Milliseconds until a refused code gets its 400 (the check, and nothing else, runs). */
async function timeCheck(api: string, sessionId: string): Promise<number> {
  const started = performance.now();
  const res = await post(`${api}/execute`, { session_id: sessionId, code: REFUSED_CODE });
  await res.arrayBuffer();
  if (res.status !== 400) throw new Error(`a refused code answered ${res.status}`);
  return performance.now() - started;
}

async function generate(api: string, sessionId: string): Promise<void> {
  const res = await post(`${api}/codegen/generate`, {
    session_id: sessionId,
    refined_prompt: 'Sum the amount per region and keep one row per region, sorted by region.',
  });
  if (!res.ok) throw new Error(`generate answered ${res.status}`);
  await res.arrayBuffer();
}

function curlDownload(url: string): Promise<{ bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', [
      '-s',
      '-f',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download} %{time_total}',
      url,
    ]);
    let out = '';
    curl.stdout.on('data', (d: Buffer) => (out += d.toString()));
    curl.on('error', reject);
    curl.on('close', (code) => {
      if (code !== 0) return reject(new Error(`download failed (curl ${code})`));
      const [bytes, seconds] = out.split(' ').map(Number);
      resolve({ bytes, seconds });
    });
  });
}

const row = (label: string, values: number[]): string =>
  `${label.padEnd(34)} n=${String(values.length).padStart(5)}  p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(values, 99).toFixed(1).padStart(7)} ms  max ${Math.max(
    ...values,
  )
    .toFixed(1)
    .padStart(7)} ms`;

type Launch = (spec: LaunchSpec) => LaunchedSandbox;

/** The baseline: spawn() on the calling thread, as the adapters did before the launcher. */
const launchInProcess: Launch = (spec) => {
  const seccompFd = spec.seccompFile === undefined ? undefined : openSync(spec.seccompFile, 'r');
  try {
    const child = spawn(spec.file, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe', ...(seccompFd === undefined ? [] : [seccompFd])],
    });
    const kill = spec.killMode === 'bubblewrap' ? killBubblewrap : killProcessGroup;
    return { process: child, kill: () => kill(child) };
  } finally {
    if (seccompFd !== undefined) closeSync(seccompFd);
  }
};

interface LaunchCost {
  isolation: string;
  ballastMb: number;
  /** Synchronous part of launch(), ms, per sandbox. */
  launch: { inProcess: number[]; launcher: number[] };
  /** Event-loop busy time of one whole code check, ms. */
  check: { inProcess: number[]; launcher: number[] };
}

/** Main-thread cost of a sandbox start and of a code check, both ways, interleaved. */
async function launchCost(targetRssBytes: number): Promise<LaunchCost> {
  const ballastBytes = Math.max(0, targetRssBytes - process.memoryUsage().rss);
  // Written, so the pages are resident and fork() has to copy their page tables.
  const ballast = Buffer.allocUnsafe(ballastBytes).fill(1);
  const root = mkdtempSync(join(tmpdir(), 'acb-bench-launch-'));
  const workspace = new SandboxWorkspace({ tempDir: root } as ConfigType<typeof storageConfig>);
  const launcher = new SandboxLauncher(workspace);
  const cfg = {
    python: '/usr/bin/python3',
    timeoutMs: 30_000,
    maxMemoryMb: 512,
    scratchBytes: 64 << 20,
    // A launch per check, none started ahead: the cost of each is what is measured.
    poolSize: 0,
  } as ConfigType<typeof sandboxConfig>;
  const status = { refusal: null } as SandboxStatusProvider;
  const policy = loadSandboxPolicy();
  const timed = (launch: Launch, into: number[]): SandboxLauncher =>
    ({
      launch: (spec: LaunchSpec) => {
        const started = performance.now();
        const child = launch(spec);
        into.push(performance.now() - started);
        return child;
      },
    }) as unknown as SandboxLauncher;
  const provider = async (l: SandboxLauncher): Promise<SandboxProvider> => {
    try {
      return await BubblewrapSandbox.create(cfg, workspace, l);
    } catch {
      return new ProcessSandbox(cfg.python, workspace, l);
    }
  };
  const result: LaunchCost = {
    isolation: '',
    ballastMb: ballastBytes / 1e6,
    launch: { inProcess: [], launcher: [] },
    check: { inProcess: [], launcher: [] },
  };
  try {
    launcher.start();
    const inProcess = await provider(timed(launchInProcess, result.launch.inProcess));
    const viaLauncher = await provider(
      timed((spec) => launcher.launch(spec), result.launch.launcher),
    );
    result.isolation = viaLauncher.isolation;
    const checkers = {
      inProcess: new SandboxCodeChecker(cfg, inProcess, status, policy),
      launcher: new SandboxCodeChecker(cfg, viaLauncher, status, policy),
    };
    for (let i = 0; i < LAUNCH_SAMPLES + 1; i++) {
      for (const way of ['inProcess', 'launcher'] as const) {
        const before = performance.eventLoopUtilization();
        const violations = await checkers[way].check(REFUSED_CODE);
        const busy = performance.eventLoopUtilization(before).active;
        if (violations.length === 0) throw new Error('the checker accepted refused code');
        if (i > 0) result.check[way].push(busy);
        else result.launch[way].pop();
      }
    }
  } finally {
    await launcher.stop();
    workspace.onApplicationShutdown();
    rmSync(root, { recursive: true, force: true });
    ballast.fill(0, 0, 1);
  }
  return result;
}

async function idle(server: BenchServer): Promise<number[]> {
  const probe = probeHealth(server.url);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  return probe.stop();
}

export async function run(): Promise<void> {
  const csv = join(DATA_DIR, `responsiveness-${UPLOAD_ROWS}.csv`);
  await generateCsv(csv, UPLOAD_ROWS);
  const fake = await FakeAnthropic.start(API_KEY);
  const profileDir = process.env.BENCH_CPU_PROF;
  const server = await startServer(
    {
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      // One client, one session, far more than a client may: the caps are not what is measured.
      RATE_LIMIT_AI_MAX: '1000000',
      RATE_LIMIT_EXECUTE_MAX: '1000000',
      RATE_LIMIT_UPLOAD_MAX: '1000000',
      MAX_QUEUED_JOBS_PER_SESSION: '1000',
      MAX_QUEUED_JOBS_PER_CLIENT: '1000',
      MAX_STREAMS_PER_CLIENT: '1000',
    },
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  const api = `${server.url}/api/v1`;
  let serverStopped = false;
  try {
    const session = (await curlUpload(server.url, csv)).body.session_id as string;
    await runJob(api, session, JOB_CODE);
    const checksIdle: number[] = [];
    for (let i = 0; i < CHECKS; i++) checksIdle.push(await timeCheck(api, session));

    const idleBefore = await idle(server);

    fake.reset();
    const code = JOB_CODE.match(/.{1,8}/gs) ?? [];
    for (let i = 0; i < GENERATIONS; i++) {
      const deltas = Array.from({ length: GENERATION_DELTAS }, (_, k) => code[k % code.length]);
      fake.enqueue(textReply(deltas, { delayMs: DELTA_GAP_MS }));
    }
    const probe = probeHealth(server.url);
    const started = performance.now();
    const checksLoaded: number[] = [];
    await Promise.all([
      ...Array.from({ length: UPLOADS }, () => curlUpload(server.url, csv)),
      ...Array.from({ length: GENERATIONS }, () => generate(api, session)),
      ...Array.from({ length: JOBS }, () => runJob(api, session, JOB_CODE)),
      (async () => {
        for (let i = 0; i < CHECKS; i++) checksLoaded.push(await timeCheck(api, session));
      })(),
    ]);
    const loadSeconds = (performance.now() - started) / 1000;
    const loaded = await probe.stop();
    const rssLoaded = server.rssBytes();

    await runJob(api, session, WIDE_CODE);
    const jobs = (await (await fetch(`${api}/sessions/${session}`)).json()) as {
      jobs: { job_id: string; output_row_count: number | null }[];
    };
    const wide = jobs.jobs.find((j) => j.output_row_count === XLSX_ROWS);
    if (!wide) throw new Error('the wide job has no output');
    const xlsxProbe = probeHealth(server.url);
    const download = await curlDownload(
      `${api}/execute/${session}/${wide.job_id}/output?format=xlsx`,
    );
    const duringXlsx = await xlsxProbe.stop();
    const rss = server.rssBytes();

    console.log(`CPU cores: ${availableParallelism()}`);
    console.log(row('/health idle', idleBefore));
    console.log(row('/health under mixed load', loaded));
    console.log(
      `  load: ${UPLOADS} uploads (${UPLOAD_ROWS} rows), ${GENERATIONS} generations, ${JOBS} jobs, ${CHECKS} checks: ${loadSeconds.toFixed(1)} s`,
    );
    console.log(row(`/health during XLSX ${XLSX_ROWS}x${XLSX_COLUMNS}`, duringXlsx));
    console.log(
      `  download: ${(download.bytes / 1e6).toFixed(1)} MB in ${download.seconds.toFixed(1)} s; server RSS after ${(rss / 1e6).toFixed(0)} MB`,
    );
    console.log(row('code check (400) idle', checksIdle));
    console.log(row('code check (400) under load', checksLoaded));
    await server.stop();
    serverStopped = true;
    const cost = await launchCost(rssLoaded);
    console.log(
      `main-thread cost per sandbox (${cost.isolation}; this process with ${cost.ballastMb.toFixed(0)} MB ballast, as large as the server under load, ${(rssLoaded / 1e6).toFixed(0)} MB):`,
    );
    console.log(row('  launch(), spawn() in process', cost.launch.inProcess));
    console.log(row('  launch(), through the launcher', cost.launch.launcher));
    console.log(row('  code check busy, spawn in process', cost.check.inProcess));
    console.log(row('  code check busy, via launcher', cost.check.launcher));
    const ratio = (a: number[], b: number[]): string =>
      (percentile(a, 50) / Math.max(percentile(b, 50), 1e-3)).toFixed(1);
    console.log(
      `  launcher vs in-process, p50: launch ${ratio(cost.launch.inProcess, cost.launch.launcher)}x cheaper, code check ${ratio(cost.check.inProcess, cost.check.launcher)}x cheaper`,
    );
    const p99 = percentile(loaded, 99);
    console.log(
      `/health p99 under load ${p99.toFixed(1)} ms vs idle ${percentile(idleBefore, 99).toFixed(1)} ms (goal < ${P99_GOAL_MS} ms): ${p99 < P99_GOAL_MS ? 'met' : 'NOT met'}`,
    );
  } finally {
    if (!serverStopped) await server.stop();
    await fake.close();
  }
}
