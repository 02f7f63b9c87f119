import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const DATA_DIR = join(ROOT, 'bench', '.data');

export interface BenchServer {
  url: string;
  pid: number;
  /** Resident set size of the server process, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Starts the built server (`dist/main.js`) as its own process, as production runs it. */
export async function startServer(env: Record<string, string> = {}): Promise<BenchServer> {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const root = mkdtempSync(join(tmpdir(), 'acb-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      APP_ENV: 'test',
      ENV_FILE_DIR: root,
      HOST: '127.0.0.1',
      PORT: String(port),
      INBOUND_DIR: join(root, 'inbound'),
      TEMP_DIR: join(root, 'tmp'),
      LOG_DIR: join(root, 'logs'),
      LOG_STDOUT: 'false',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
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
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(root, { recursive: true, force: true });
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
