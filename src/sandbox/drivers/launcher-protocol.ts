/**
 * What the API process and the sandbox launcher (launcher-main.ts) say to each other.
 * Requests and reports travel over the fork's IPC channel; a sandbox's stdio travels
 * over Unix sockets the launcher connects to the API's private socket, each opened
 * with a preamble line `<secret>:<launch id>:<fd>\n`.
 *
 * Node built-ins only: the launcher is kept small so that its own forks are cheap.
 */

/** What the launcher needs to start one sandbox; everything here is public (argv). */
export interface LaunchSpec {
  /** Absolute path of the program (bwrap or the interpreter). */
  file: string;
  args: string[];
  /** The sandbox's whole environment. */
  env: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Opened read-only by the launcher and given to the sandbox as fd 4 (bwrap `--seccomp 4`). */
  seccompFile?: string;
  /** `bubblewrap`: kill the pid namespace's init first (killBubblewrap); `group`: the process group. */
  killMode: 'bubblewrap' | 'group';
}

export type LauncherRequest =
  | { type: 'init'; socketPath: string; secret: string }
  | { type: 'launch'; id: number; spec: LaunchSpec }
  | { type: 'kill'; id: number }
  | { type: 'stop' };

export type LauncherReport =
  | { type: 'spawned'; id: number; pid: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** stdin, stdout, stderr and the result channel: one socket each. */
export const LAUNCH_STREAMS = [0, 1, 2, 3] as const;

/** Longest preamble line the API reads before it drops a connection. */
export const PREAMBLE_MAX_BYTES = 128;

export function preamble(secret: string, id: number, fd: number): string {
  return `${secret}:${id}:${fd}\n`;
}
