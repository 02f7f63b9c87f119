import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

const ROOT = resolve(__dirname, '../..');
const START_TIMEOUT_MS = 90_000;

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

/** A real server (`main`) or worker process, from the sources (ts-node) or the build. */
export interface ServerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** `http://127.0.0.1:<port>` (servers only). */
  url: string;
  /** `<url>/api/v1` */
  api: string;
  port: number;
  /** The folders it runs on (its own, or those passed in `dirs`). */
  dirs: SharedDirs;
  exited: Promise<Exit>;
  /** The process's log files and its stderr (when piped), joined. */
  logs(): string;
  /** Resident set size (VmRSS) of the process, in bytes; 0 once it has ended. */
  rssBytes(): number;
  /** VmRSS of the process and every process under it (sandboxes, parses), in bytes. */
  treeRssBytes(): number;
  /**
   * Sends SIGTERM (or `signal`) unless it has ended, waits for the exit, then removes its
   * folders if they are its own (not passed in `dirs`).
   */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface StartOptions {
  /** `main` (default): the HTTP server; `worker`: a job worker. */
  entry?: 'main' | 'worker';
  /** Names the process's log folder (`<root>/logs-<name>`); default `<entry>-<port>`. */
  name?: string;
  /**
   * Folders shared with other processes or kept across a restart: the caller removes them.
   * Default: fresh ones, removed by stop().
   */
  dirs?: SharedDirs;
  /**
   * Added to the defaults, overriding them: APP_ENV=test, LOG_LEVEL=info, LOG_STDOUT=false,
   * the folders and the port.
   */
  env?: Record<string, string>;
  /** Reuse a port (restarting a server in its place); default a free one. */
  port?: number;
  /** `source` (default): `src/<entry>.ts` through ts-node; `built`: `dist/<entry>.js`. */
  code?: 'source' | 'built';
  /** Node options before the script, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** `pipe` (default): kept for logs() and start errors; `inherit`: printed as it comes. */
  stderr?: 'pipe' | 'inherit';
}

/** VmRSS of `pid` and its descendants, in kB (0 for those that are gone). */
function treeRssKb(pid: number): number {
  let kb = 0;
  try {
    kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children.split(/\s+/).filter(Boolean)) kb += treeRssKb(Number(child));
    }
  } catch {
    // The process ended while it was read.
  }
  return kb;
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Starts the process and waits until it is ready: a server answers /health, a worker has
 * printed its start line. Throws (with its stderr when piped) when it exits or does not get
 * ready in 90 s.
 */
export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  const entry = options.entry ?? 'main';
  const port = options.port ?? (await freePort());
  const name = options.name ?? `${entry}-${port}`;
  const dirs = options.dirs ?? sharedDirs();
  const logDir = join(dirs.root, `logs-${name}`);
  const script =
    options.code === 'built'
      ? [`dist/${entry}.js`]
      : ['-r', require.resolve('ts-node/register/transpile-only'), `src/${entry}.ts`];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...script], {
    cwd: ROOT,
    env: {
      ...process.env,
      APP_ENV: 'test',
      ENV_FILE_DIR: dirs.root,
      HOST: '127.0.0.1',
      PORT: String(port),
      INBOUND_DIR: dirs.inbound,
      TEMP_DIR: dirs.temp,
      LOG_DIR: logDir,
      LOG_STDOUT: 'false',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', entry === 'worker' ? 'pipe' : 'ignore', options.stderr ?? 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
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
    const failure = ended()
      ? `${name} exited at start`
      : Date.now() - started > START_TIMEOUT_MS
        ? `${name} did not start within ${START_TIMEOUT_MS} ms`
        : undefined;
    if (failure) {
      child.kill('SIGKILL');
      await exited;
      if (!options.dirs) dirs.remove();
      throw new Error(`${failure}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    name,
    child,
    pid,
    url,
    api: `${url}/api/v1`,
    port,
    dirs,
    exited,
    logs: () =>
      (existsSync(logDir) ? readdirSync(logDir) : [])
        .map((f) => readFileSync(join(logDir, f), 'utf8'))
        .concat(stderr)
        .join('\n'),
    rssBytes: () => rssKb(pid) * 1024,
    treeRssBytes: () => treeRssKb(pid) * 1024,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!ended()) child.kill(signal);
      const exit = await exited;
      if (!options.dirs) dirs.remove();
      return exit;
    },
  };
}
