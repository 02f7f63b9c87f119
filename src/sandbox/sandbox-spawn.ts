import { ChildProcess } from 'node:child_process';

/**
 * SIGKILL for a sandbox started with `detached: true` (its own process group): the
 * group takes bwrap or the interpreter, and bwrap's --die-with-parent and pid
 * namespace take whatever runs inside.
 */
export function killProcessGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** stdio of every sandbox: request in, user stdout/stderr out, result channel out. */
export const SANDBOX_STDIO = ['pipe', 'pipe', 'pipe', 'pipe'] as const;
