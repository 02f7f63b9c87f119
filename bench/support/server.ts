import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServerProcess, SharedDirs, startServerProcess } from '../../test/support/server-process';

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

/** The built server or worker: `url`, `pid`, `rssBytes()`, `treeRssBytes()`, `stop()`. */
export type BenchServer = ServerProcess;

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
  /** Folders to share with other processes (INBOUND_DIR, TEMP_DIR); kept on stop. */
  dirs?: SharedDirs;
}

/**
 * Starts the built server (`dist/main.js`), or a worker, as its own process, as production
 * runs it (test/support/server-process.ts), rebuilding dist first if a source is newer. Its
 * stderr is printed; LOG_LEVEL is warn and ONE_CLIENT_LIMITS apply unless `env` sets them.
 */
export async function startServer(
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  shape: ProcessShape = {},
): Promise<BenchServer> {
  ensureFreshBuild();
  return startServerProcess({
    entry: shape.entry,
    dirs: shape.dirs,
    code: 'built',
    nodeArgs,
    stderr: 'inherit',
    env: { LOG_LEVEL: 'warn', ...ONE_CLIENT_LIMITS, ...env },
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
