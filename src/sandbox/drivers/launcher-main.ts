/**
 * The sandbox launcher: a small Node process the API forks once (sandbox-launcher.ts).
 * spawn() forks its caller, and forking the API (hundreds of MB with DuckDB) costs
 * milliseconds of its event loop per sandbox; forking this process costs little and
 * blocks nobody's requests.
 *
 * Per launch it connects one socket per stdio stream to the API's private socket,
 * authenticates it with the preamble, starts the sandbox with those sockets as its
 * stdio, drops its own copies and reports the pid; later the exit. It owns every
 * sandbox it started: kills go through it, and when the API goes away (the IPC channel
 * closes, even after a SIGKILL) it kills them all and exits.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import {
  LAUNCH_STREAMS,
  LaunchSpec,
  LauncherReport,
  LauncherRequest,
  preamble,
} from './launcher-protocol';
import { killBubblewrap, killProcessGroup } from './sandbox-spawn';

interface Launch {
  spec: LaunchSpec;
  child: ChildProcess | null;
  killRequested: boolean;
  /** The kill was sent (once: killBubblewrap arms a timer each time). */
  killed: boolean;
}

/** How long a stop waits for the killed sandboxes to be reaped before exiting anyway. */
const STOP_GRACE_MS = 3000;

const launches = new Map<number, Launch>();
let socketPath = '';
let secret = '';
let stopping = false;

function report(message: LauncherReport): void {
  if (process.connected) process.send?.(message);
}

function killLaunch(launch: Launch): void {
  if (!launch.child || launch.killed) return;
  launch.killed = true;
  if (launch.spec.killMode === 'bubblewrap') killBubblewrap(launch.child);
  else killProcessGroup(launch.child);
}

/** libuv's uv_stream_set_blocking, which Node keeps on the socket's handle. */
function setBlocking(socket: Socket): void {
  const handle = (socket as unknown as { _handle: { setBlocking?(on: boolean): number } | null })
    ._handle;
  const status = handle?.setBlocking?.(true);
  if (status !== 0) throw new Error(`could not make the sandbox's stdio blocking (${status})`);
}

/** A connected, authenticated socket for one stdio stream of launch `id`. */
function openStream(id: number, fd: number, opened: Socket[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    opened.push(socket);
    socket.once('error', reject);
    socket.once('connect', () => {
      // Resolved once the preamble has left, so destroy() after spawn() cannot drop it.
      socket.write(preamble(secret, id, fd), (error) => (error ? reject(error) : resolve(socket)));
    });
  });
}

async function launch(id: number, spec: LaunchSpec): Promise<void> {
  const entry: Launch = { spec, child: null, killRequested: false, killed: false };
  launches.set(id, entry);
  const sockets: Socket[] = [];
  let seccompFd: number | undefined;
  try {
    await Promise.all(LAUNCH_STREAMS.map((fd) => openStream(id, fd, sockets)));
    if (entry.killRequested || stopping) {
      launches.delete(id);
      report({ type: 'exit', id, code: null, signal: 'SIGKILL' });
      return;
    }
    // The sandbox shares these sockets' file status flags: it expects blocking stdio, as
    // pipes give it, not the O_NONBLOCK Node set (a read or write would fail with EAGAIN).
    for (const socket of sockets) setBlocking(socket);
    if (spec.seccompFile !== undefined) seccompFd = openSync(spec.seccompFile, 'r');
    const child = spawn(spec.file, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: [...sockets, ...(seccompFd === undefined ? [] : [seccompFd])],
    });
    entry.child = child;
    // The sandbox holds its own copies now; the API must be the only other end.
    for (const socket of sockets) socket.destroy();
    child.once('error', (error) => {
      if (child.pid !== undefined || !launches.has(id)) return;
      launches.delete(id);
      report({ type: 'failed', id, message: error.message });
    });
    child.once('exit', (code, signal) => {
      launches.delete(id);
      report({ type: 'exit', id, code, signal });
    });
    if (child.pid !== undefined) {
      report({ type: 'spawned', id, pid: child.pid });
      if (entry.killRequested) killLaunch(entry);
    }
  } catch (error) {
    launches.delete(id);
    report({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  } finally {
    for (const socket of sockets) socket.destroy();
    if (seccompFd !== undefined) closeSync(seccompFd);
  }
}

/** Kills every sandbox, waits a little for them to be reaped, exits. */
function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const entry of launches.values()) {
    entry.killRequested = true;
    killLaunch(entry);
  }
  const started = Date.now();
  const check = (): void => {
    const running = [...launches.values()].some((l) => l.child);
    if (!running || Date.now() - started > STOP_GRACE_MS) process.exit(0);
    else setTimeout(check, 20);
  };
  check();
}

process.on('message', (message: LauncherRequest) => {
  switch (message.type) {
    case 'init':
      socketPath = message.socketPath;
      secret = message.secret;
      break;
    case 'launch':
      if (stopping) report({ type: 'failed', id: message.id, message: 'the launcher is stopping' });
      else void launch(message.id, message.spec);
      break;
    case 'kill': {
      const entry = launches.get(message.id);
      if (entry) {
        entry.killRequested = true;
        killLaunch(entry);
      }
      break;
    }
    case 'stop':
      stop();
      break;
  }
});
// The API decides when this process ends: a terminal's Ctrl-C or a service manager's
// SIGTERM reaches the whole process group, and the API still needs it to shut down.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', stop);
