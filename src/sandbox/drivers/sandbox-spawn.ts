import { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** If bwrap has not exited by then after its sandbox was killed, its own group is killed too. */
const BWRAP_EXIT_GRACE_MS = 2000;

/** Direct children of a process, from /proc (empty once it is gone). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILL for a bubblewrap sandbox. The process bwrap forked (the pid namespace's init)
 * is killed first: the kernel then kills everything in the namespace, and bwrap reaps
 * its child and exits. Killing bwrap itself first would orphan that init, and a PID 1
 * that does not reap (Node in a container) would collect the zombies.
 */
export function killBubblewrap(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const inner = childrenOf(pid);
  if (inner.length === 0) {
    killProcessGroup(child);
    return;
  }
  for (const p of inner) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const fallback = setTimeout(() => killProcessGroup(child), BWRAP_EXIT_GRACE_MS);
  fallback.unref();
  child.once('exit', () => clearTimeout(fallback));
}
