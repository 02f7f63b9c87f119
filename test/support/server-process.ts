import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './redis-server';

const ROOT = resolve(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Folders processes share (INBOUND_DIR, TEMP_DIR), as on one machine or a shared volume. */
export interface SharedDirs {
  root: string;
  inbound: string;
  temp: string;
  /** Removes the folders. */
  remove(): void;
}

export function sharedDirs(): SharedDirs {
  const root = mkdtempSync(join(tmpdir(), 'acb-proc-'));
  return {
    root,
    inbound: join(root, 'inbound'),
    temp: join(root, 'tmp'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A real server (`src/main.ts`) or worker (`src/worker.ts`) process, run through ts-node. */
export interface ServerProcess {
  name: string;
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` (servers only). */
  url: string;
  /** `<url>/api/v1` */
  api: string;
  port: number;
  exited: Promise<Exit>;
  /** The process's log files and its stderr, joined. */
  logs(): string;
  /** SIGTERM (or `signal`), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface StartOptions {
  /** `main` (default): the HTTP server; `worker`: a job worker. */
  entry?: 'main' | 'worker';
  /** Names the process's log folder. */
  name?: string;
  dirs: SharedDirs;
  env?: Record<string, string>;
  /** Reuse a port (restarting a server in its place). */
  port?: number;
}

/**
 * Starts the process and waits until it is ready: a server answers /health, a worker has
 * printed its start line. Throws with its stderr when it exits or does not get ready in 60 s.
 */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const entry = options.entry ?? 'main';
  const name = options.name ?? entry;
  const port = options.port ?? (await freePort());
  const logDir = join(options.dirs.root, `logs-${name}`);
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), `src/${entry}.ts`],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        APP_ENV: 'test',
        ENV_FILE_DIR: options.dirs.root,
        HOST: '127.0.0.1',
        PORT: String(port),
        INBOUND_DIR: options.dirs.inbound,
        TEMP_DIR: options.dirs.temp,
        LOG_DIR: logDir,
        LOG_STDOUT: 'false',
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = async (): Promise<boolean> => {
    if (entry === 'worker') return stdout.includes('worker taking jobs');
    try {
      return (await fetch(`${url}/health`)).ok;
    } catch {
      return false;
    }
  };
  const started = Date.now();
  while (!(await ready())) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited at start: ${stderr}`);
    if (Date.now() - started > START_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start within ${START_TIMEOUT_MS} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    child,
    url,
    api: `${url}/api/v1`,
    port,
    exited,
    logs: () =>
      (existsSync(logDir) ? readdirSync(logDir) : [])
        .map((f) => readFileSync(join(logDir, f), 'utf8'))
        .concat(stderr)
        .join('\n'),
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
