import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  SANDBOX_ENV,
  SANDBOX_GID,
  SANDBOX_INPUT_DIR,
  SANDBOX_RUNNER_DIR,
  SANDBOX_UID,
} from '../sandbox-limits';
import {
  IsolationLevel,
  SandboxChild,
  SandboxLaunchOptions,
  SandboxProvider,
} from './sandbox-provider';
import { SandboxLauncher } from './sandbox-launcher';
import { SandboxWorkspace } from '../sandbox-workspace';

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
/** The seccomp program reaches bwrap as this file descriptor (`--seccomp 4`; the launcher opens it). */
const SECCOMP_FD = 4;

export interface BubblewrapOptions {
  python: string;
  scratchBytes: number;
}

export function findBubblewrap(): string | null {
  return BWRAP_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Debian's merged /usr makes /bin, /lib, /lib64, /sbin symlinks; mirror whatever the host has. */
function topLevelLinks(): string[] {
  const args: string[] = [];
  for (const name of ['/bin', '/sbin', '/lib', '/lib64', '/lib32']) {
    if (!existsSync(name)) continue;
    if (lstatSync(name).isSymbolicLink()) args.push('--symlink', readlinkSync(name), name);
    else args.push('--ro-bind', name, name);
  }
  return args;
}

/** A Python installed outside /usr (pyenv, /opt) needs its prefix visible too. */
function pythonMounts(python: string): string[] {
  const prefixes = new Set<string>();
  for (const path of [python, existsSync(python) ? realpathSync(python) : python]) {
    if (!path.startsWith('/usr/')) prefixes.add(dirname(dirname(path)));
  }
  return [...prefixes].flatMap((p) => ['--ro-bind', p, p]);
}

/**
 * Strong isolation: bubblewrap namespaces (no network, own pid/ipc/uts/user namespace,
 * uid nobody, no capabilities), a read-only view of /usr plus the job's own input, a
 * size-capped tmpfs as the only writable place, an empty environment plus an
 * allowlist, and a seccomp filter that removes kernel attack surface.
 */
export class BubblewrapSandbox extends SandboxProvider {
  readonly isolation: IsolationLevel = 'bwrap';
  private readonly fixedArgs: string[];

  private constructor(
    private readonly bwrap: string,
    private readonly seccompFile: string,
    private readonly options: BubblewrapOptions,
    private readonly workspace: SandboxWorkspace,
    private readonly launcher: SandboxLauncher,
  ) {
    super();
    this.fixedArgs = [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--uid',
      String(SANDBOX_UID),
      '--gid',
      String(SANDBOX_GID),
      '--hostname',
      'sandbox',
      '--ro-bind',
      '/usr',
      '/usr',
      ...topLevelLinks(),
      // numpy's BLAS resolves through /etc/alternatives; without it `import numpy` fails.
      '--ro-bind-try',
      '/etc/alternatives',
      '/etc/alternatives',
      ...pythonMounts(options.python),
      '--ro-bind',
      workspace.runnerDir,
      SANDBOX_RUNNER_DIR,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      // bwrap's /dev is an unbounded tmpfs (with /dev/shm) owned by the sandbox user.
      '--remount-ro',
      '/dev',
    ];
  }

  /** Writes the kernel-surface seccomp program once (python3-seccomp builds it). */
  static async create(
    options: BubblewrapOptions,
    workspace: SandboxWorkspace,
    launcher: SandboxLauncher,
    bwrap: string | null = findBubblewrap(),
  ): Promise<BubblewrapSandbox> {
    if (!bwrap) throw new Error('bubblewrap (bwrap) is not installed');
    workspace.prepare();
    const seccompFile = join(workspace.baseDir, 'bwrap-seccomp.bpf');
    await promisify(execFile)(
      options.python,
      ['-E', '-s', '-B', join(workspace.runnerDir, 'sandbox_seccomp.py'), seccompFile],
      { env: { ...SANDBOX_ENV } },
    );
    return new BubblewrapSandbox(bwrap, seccompFile, options, workspace, launcher);
  }

  sandboxInputDir(): string {
    return SANDBOX_INPUT_DIR;
  }

  launch(options: SandboxLaunchOptions): SandboxChild {
    const args = [
      ...this.fixedArgs,
      ...(options.inputDir ? ['--ro-bind', options.inputDir, SANDBOX_INPUT_DIR] : []),
      '--size',
      String(this.options.scratchBytes),
      '--tmpfs',
      '/tmp',
      '--remount-ro',
      '/',
      '--chdir',
      '/tmp',
      '--clearenv',
      ...Object.entries(SANDBOX_ENV).flatMap(([k, v]) => ['--setenv', k, v]),
      '--seccomp',
      String(SECCOMP_FD),
      '--',
      this.options.python,
      '-E',
      '-s',
      '-B',
      `${SANDBOX_RUNNER_DIR}/${options.script}`,
      ...options.args,
    ];
    const child = this.launcher.launch({
      file: this.bwrap,
      args,
      env: {},
      ...this.workspace.spawnIdentity,
      seccompFile: this.seccompFile,
      killMode: 'bubblewrap',
    });
    return {
      ...child,
      hostInputDir: options.inputDir ?? null,
      sandboxInputDir: options.inputDir ? this.sandboxInputDir() : null,
    };
  }
}
