import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const DATA_DIR = join(ROOT, 'bench', '.data');

/** Rebuilds dist when a source file is newer than it, so the figures are for this code. */
function ensureFreshBuild(): void {
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  let builtAt = 0;
  try {
    builtAt = statSync(join(ROOT, 'dist', 'main.js')).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (newest(join(ROOT, 'src')) > builtAt) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
}

export interface CurlUpload {
  /** Response headers as curl printed them. */
  headers: string;
  body: Record<string, unknown>;
}

/** Uploads a file with curl, a native client, so the client's CPU is not in our process. */
export function curlUpload(url: string, path: string): Promise<CurlUpload> {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-s', '-D', '-', '-F', `file=@${path}`, `${url}/api/v1/upload`]);
    let out = '';
    curl.stdout.on('data', (d: Buffer) => (out += d.toString()));
    curl.on('error', reject);
    curl.on('close', () => {
      const start = out.indexOf('{');
      try {
        resolve({
          headers: out.slice(0, start),
          body: JSON.parse(out.slice(start)) as Record<string, unknown>,
        });
      } catch {
        reject(new Error(`upload failed: ${out.slice(0, 300)}`));
      }
    });
  });
}

export interface BenchServer {
  url: string;
  pid: number;
  /** Resident set size of the server process, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * A bench is one client (127.0.0.1) doing what many would: the per-client rate limits and
 * caps are lifted unless a bench sets them (fairness.bench.ts measures the queue's turns).
 */
const ONE_CLIENT_LIMITS: Record<string, string> = {
  RATE_LIMIT_AI_MAX: '1000000',
  RATE_LIMIT_EXECUTE_MAX: '1000000',
  RATE_LIMIT_UPLOAD_MAX: '1000000',
  MAX_QUEUED_JOBS_PER_SESSION: '1000',
  MAX_QUEUED_JOBS_PER_CLIENT: '1000',
  MAX_SESSIONS_PER_CLIENT: '100000',
  MAX_STREAMS_PER_CLIENT: '1000',
};

export interface ProcessShape {
  /** `main` (default): the HTTP server; `worker`: a job worker (`dist/worker.js`). */
  entry?: 'main' | 'worker';
  /** Folders to share with other processes (INBOUND_DIR, TEMP_DIR under it); kept on stop. */
  root?: string;
}

/**
 * Starts the built server (`dist/main.js`), or a worker, as its own process, as production
 * runs it. A server is ready when /health answers, a worker when it prints its start line.
 */
export async function startServer(
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  shape: ProcessShape = {},
): Promise<BenchServer> {
  ensureFreshBuild();
  const entry = shape.entry ?? 'main';
  const root = shape.root ?? mkdtempSync(join(tmpdir(), 'acb-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, `dist/${entry}.js`], {
    cwd: ROOT,
    env: {
      ...process.env,
      APP_ENV: 'test',
      ENV_FILE_DIR: root,
      HOST: '127.0.0.1',
      PORT: String(port),
      INBOUND_DIR: join(root, 'inbound'),
      TEMP_DIR: join(root, 'tmp'),
      LOG_DIR: join(root, `logs-${entry}-${port}`),
      LOG_STDOUT: 'false',
      LOG_LEVEL: 'warn',
      ...ONE_CLIENT_LIMITS,
      ...env,
    },
    stdio: ['ignore', entry === 'worker' ? 'pipe' : 'ignore', 'inherit'],
  });
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (entry === 'worker') {
      if (stdout.includes('worker taking jobs')) break;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const pid = child.pid!;
  return {
    url,
    pid,
    rssBytes: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    stop: async () => {
      // A server that died already would never emit 'exit' again.
      const exited =
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      if (!shape.root) rmSync(root, { recursive: true, force: true });
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
