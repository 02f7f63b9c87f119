import { Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { forkEntry } from '../../common/entry-points';
import { AppLogger } from '../../common/logging/app-logger.service';
import {
  LAUNCH_STREAMS,
  LaunchSpec,
  LauncherReport,
  LauncherRequest,
  PREAMBLE_MAX_BYTES,
} from './launcher-protocol';
import { SandboxWorkspace } from '../sandbox-workspace';

export type { LaunchSpec } from './launcher-protocol';

/**
 * The part of a ChildProcess that the runner, the checker and the pool use: stdio 0
 * the request, 1 and 2 what the code prints, 3 the result channel; 'error', 'exit'
 * and 'close' (after the exit and the end of stdout, stderr and stdio[3]).
 */
export interface SandboxProcess {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: ReadonlyArray<Readable | Writable | null | undefined>;
  readonly pid?: number;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  on(
    event: 'close' | 'exit',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): this;
  on(event: 'error', listener: (error: Error) => void): this;
  once(
    event: 'close' | 'exit',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): this;
  once(event: 'error', listener: (error: Error) => void): this;
}

/** The launcher's entry file, started with forkEntry. */
const LAUNCHER_BASENAME = 'launcher-main';
/** A connection that has not sent its preamble by then is dropped. */
const PREAMBLE_TIMEOUT_MS = 5000;
/** After an exit, stdio sockets that never arrived are given up on after this. */
const LATE_STREAM_MS = 10_000;
/** How long stop() waits for the launcher to kill its sandboxes and exit. */
const STOP_TIMEOUT_MS = 5000;
/** sun_path holds 108 bytes. */
const SOCKET_PATH_MAX = 100;

export const LAUNCHER_STOPPED_MESSAGE = 'the sandbox launcher stopped unexpectedly';

/** One sandbox as the API sees it; its process lives under the launcher. */
class LaunchedProcess extends EventEmitter implements SandboxProcess {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdio: [PassThrough, PassThrough, PassThrough, PassThrough];
  pid: number | undefined = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private readonly sockets: (Socket | null)[] = [null, null, null, null];
  private readonly outputsOpen = new Set([1, 2, 3]);
  private spawned = false;
  private failed = false;
  /** The exit (or the failure) is known; 'close' follows once the outputs end. */
  private ended = false;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly release: () => void,
  ) {
    super();
    this.stdio = [this.stdin, this.stdout, this.stderr, new PassThrough()];
    for (const fd of [1, 2, 3]) {
      const out = this.stdio[fd];
      const done = (): void => {
        if (this.outputsOpen.delete(fd)) this.maybeClose();
      };
      out.once('end', done);
      out.once('close', done);
    }
  }

  get finished(): boolean {
    return this.ended;
  }

  attach(fd: number, socket: Socket, rest: Buffer): void {
    if (this.sockets[fd] || this.failed || (fd > 0 && this.stdio[fd].writableEnded)) {
      socket.destroy();
      return;
    }
    this.sockets[fd] = socket;
    socket.on('error', () => undefined);
    if (fd === 0) {
      // The sandbox has no business writing here; drain it so its exit is seen.
      socket.resume();
      this.pipeStdin();
      return;
    }
    const out = this.stdio[fd];
    if (rest.length > 0) out.write(rest);
    socket.pipe(out, { end: false });
    socket.once('close', () => this.endOutput(out));
  }

  onSpawned(pid: number): void {
    this.pid = pid;
    this.spawned = true;
    this.pipeStdin();
  }

  onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.ended = true;
    this.emit('exit', code, signal);
    setTimeout(() => {
      for (const fd of [1, 2, 3]) if (!this.sockets[fd]) this.endOutput(this.stdio[fd]);
    }, LATE_STREAM_MS).unref();
    this.maybeClose();
  }

  /** The launch failed or its launcher died: 'error', then 'close' once the streams are shut. */
  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = true;
    if (this.pid !== undefined) this.signalCode = 'SIGKILL';
    // A launcher can die at any time; a caller that only waits for 'close' must not crash the API.
    if (this.listenerCount('error') > 0) this.emit('error', error);
    for (const socket of this.sockets) socket?.destroy();
    for (const fd of [1, 2, 3]) this.endOutput(this.stdio[fd]);
    this.maybeClose();
  }

  /** Writes reach the sandbox only once the launcher has dropped its copy of the socket. */
  private pipeStdin(): void {
    const socket = this.sockets[0];
    if (this.spawned && socket) this.stdin.pipe(socket);
  }

  private endOutput(out: PassThrough): void {
    if (out.writableEnded) return;
    out.end();
    // An unread, empty stream never emits 'end' by itself; a child's pipe would.
    out.once('finish', () => {
      setImmediate(() => {
        out.read(0);
      });
    });
  }

  private maybeClose(): void {
    if (!this.ended || this.outputsOpen.size > 0 || this.closed) return;
    this.closed = true;
    this.sockets[0]?.destroy();
    this.stdin.destroy();
    this.release();
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** One forked launcher and the launches it holds. */
interface Launcher {
  proc: ChildProcess;
  launches: Map<number, LaunchedProcess>;
  alive: boolean;
}

/** A started sandbox: its process stand-in and how to kill it. */
export interface LaunchedSandbox {
  process: SandboxProcess;
  /** SIGKILLs everything the sandbox started (through the launcher); safe to call more than once. */
  kill(): void;
}

/**
 * Starts sandboxes through a small launcher process, so that no spawn() (a fork of
 * this large process) runs on the API's event loop. launch() returns at once; the
 * sandbox's stdio arrives over a Unix socket in a 0700 folder of the sandbox
 * workspace, each connection authenticated by a per-process secret that only the
 * launcher knows (sent over IPC, never in argv or the environment). A launcher that
 * dies fails its running sandboxes with an error and is replaced on the next launch.
 */
@Injectable()
export class SandboxLauncher implements OnApplicationShutdown {
  private readonly secret = randomBytes(32).toString('hex');
  private server: Server | null = null;
  private socketDir: string | null = null;
  private socketPath = '';
  private current: Launcher | null = null;
  private readonly launches = new Map<number, LaunchedProcess>();
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly workspace: SandboxWorkspace,
    @Optional() private readonly logger?: AppLogger,
  ) {}

  /** Process id of the current launcher (for diagnostics and tests). */
  get launcherPid(): number | undefined {
    return this.current?.alive ? this.current.proc.pid : undefined;
  }

  /** Forks the launcher now rather than on the first launch. */
  start(): void {
    this.ensureLauncher();
  }

  launch(spec: LaunchSpec): LaunchedSandbox {
    const id = this.nextId++;
    let launcher: Launcher | null = null;
    let startError: unknown = null;
    try {
      if (this.stopped) throw new Error('the sandbox launcher is stopped');
      launcher = this.ensureLauncher();
    } catch (error) {
      startError = error;
    }
    const proc = new LaunchedProcess(id, () => {
      this.launches.delete(id);
      launcher?.launches.delete(id);
      this.refCount();
    });
    if (!launcher) {
      const message = startError instanceof Error ? startError.message : String(startError);
      process.nextTick(() => proc.fail(new Error(`the sandbox could not be started: ${message}`)));
      return { process: proc, kill: () => undefined };
    }
    this.launches.set(id, proc);
    launcher.launches.set(id, proc);
    this.refCount();
    this.send(launcher, { type: 'launch', id, spec });
    let killSent = false;
    return {
      process: proc,
      kill: () => {
        if (proc.finished || killSent || !launcher.alive) return;
        killSent = true;
        this.send(launcher, { type: 'kill', id });
      },
    };
  }

  /** Kills every sandbox through the launcher, stops it and removes the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    const launcher = this.current;
    this.current = null;
    if (launcher?.alive) {
      const exited = new Promise<void>((resolve) => launcher.proc.once('close', () => resolve()));
      this.send(launcher, { type: 'stop' });
      const timer = setTimeout(() => launcher.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.server?.close();
    this.server = null;
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    this.socketDir = null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private ensureLauncher(): Launcher {
    if (this.current?.alive) return this.current;
    this.listen();
    const proc = forkEntry(__dirname, LAUNCHER_BASENAME, {
      cwd: __dirname,
      // Nothing of the API's environment (keys) needs to be in the launcher.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const launcher: Launcher = { proc, launches: new Map(), alive: true };
    proc.on('message', (report: LauncherReport) => this.onReport(launcher, report));
    proc.on('error', () => undefined);
    proc.once('close', (code, signal) => this.onLauncherGone(launcher, code, signal));
    this.send(launcher, { type: 'init', socketPath: this.socketPath, secret: this.secret });
    this.current = launcher;
    this.refCount();
    return launcher;
  }

  private send(launcher: Launcher, request: LauncherRequest): void {
    if (!launcher.proc.connected) return;
    // A failed send means the launcher is going; its 'close' fails what it held.
    launcher.proc.send(request, () => undefined);
  }

  private onReport(launcher: Launcher, report: LauncherReport): void {
    const proc = launcher.launches.get(report.id);
    if (!proc) return;
    switch (report.type) {
      case 'spawned':
        proc.onSpawned(report.pid);
        break;
      case 'failed':
        launcher.launches.delete(report.id);
        proc.fail(new Error(`the sandbox could not be started: ${report.message}`));
        break;
      case 'exit':
        launcher.launches.delete(report.id);
        proc.onExit(report.code, report.signal);
        break;
    }
  }

  private onLauncherGone(
    launcher: Launcher,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    launcher.alive = false;
    if (this.current === launcher) this.current = null;
    const orphans = [...launcher.launches.values()];
    launcher.launches.clear();
    if (!this.stopped) {
      this.logger?.error(
        { msg: LAUNCHER_STOPPED_MESSAGE, code, signal, running: orphans.length },
        'SandboxLauncher',
      );
    }
    for (const proc of orphans) {
      // bwrap dies with the launcher (--die-with-parent); a plain interpreter would not.
      if (proc.pid !== undefined) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      proc.fail(new Error(LAUNCHER_STOPPED_MESSAGE));
    }
    this.refCount();
  }

  /** The launcher keeps this process alive only while a sandbox runs. */
  private refCount(): void {
    const launcher = this.current;
    if (!launcher?.alive) return;
    if (this.launches.size > 0) {
      launcher.proc.ref();
      launcher.proc.channel?.ref();
    } else {
      launcher.proc.unref();
      launcher.proc.channel?.unref();
    }
  }

  /** The private socket the launcher connects the sandboxes' stdio to. */
  private listen(): void {
    if (this.server) return;
    this.workspace.prepare();
    let dir = mkdtempSync(join(this.workspace.baseDir, 'launch-'));
    if (join(dir, 's').length > SOCKET_PATH_MAX) {
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'acb-launch-'));
    }
    // mkdtemp makes it 0700: neither the sandbox user nor other users can reach the socket.
    this.socketDir = dir;
    this.socketPath = join(dir, 's');
    this.server = createServer((socket) => this.authenticate(socket));
    this.server.on('error', (error) =>
      this.logger?.error({ msg: 'sandbox launcher socket failed', error }, 'SandboxLauncher'),
    );
    this.server.listen(this.socketPath);
    this.server.unref();
  }

  private authenticate(socket: Socket): void {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), PREAMBLE_TIMEOUT_MS);
    socket.on('error', () => undefined);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(0x0a);
      if (end < 0) {
        if (head.length > PREAMBLE_MAX_BYTES) socket.destroy();
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      const [secret = '', id = '', fd = ''] = head.subarray(0, end).toString('latin1').split(':');
      const proc = this.launches.get(Number(id));
      const stream = Number(fd);
      if (
        !this.secretMatches(secret) ||
        !proc ||
        !(LAUNCH_STREAMS as readonly number[]).includes(stream)
      ) {
        socket.destroy();
        return;
      }
      proc.attach(stream, socket, head.subarray(end + 1));
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  }

  private secretMatches(candidate: string): boolean {
    const a = Buffer.from(candidate, 'latin1');
    const b = Buffer.from(this.secret, 'latin1');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
