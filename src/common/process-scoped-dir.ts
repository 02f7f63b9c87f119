import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Folders (and files) a process makes for itself in a place others may share (TEMP_DIR, the system
 * temp directory) carry their maker in the name: `<prefix>p<pid>s<start>h<host>-XXXXXX`,
 * where `start` is the process's start time (clock ticks since boot, /proc/<pid>/stat) and
 * `host` a hash of the host name. A folder whose maker is no longer running (no such pid,
 * or the pid now belongs to a process started at another time, as after a container
 * restart) is a leftover of an unclean exit; folders of other hosts are never judged.
 */
const TAG = /^p(\d+)s(\d+)h([0-9a-f]{8})-/;

const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** Start time of a running process, 0 where /proc does not say; null when it is not running. */
function startTimeOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    try {
      process.kill(pid, 0);
      return 0;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? 0 : null;
    }
  }
}

const ownTag = `p${process.pid}s${startTimeOf(process.pid) ?? 0}h${hostTag}-`;

/** Makes `<parent>/<prefix><this process's tag>XXXXXX` (mkdtemp) and returns its path. */
export function makeProcessScopedDir(parent: string, prefix: string): string {
  return mkdtempSync(join(parent, `${prefix}${ownTag}`));
}

/** A file name `<prefix><this process's tag><rest>`, judged by `isLeftover` like the folders. */
export function processScopedName(prefix: string, rest: string): string {
  return `${prefix}${ownTag}${rest}`;
}

/** Whether `name` (a folder or file starting with `prefix`) was made by a process that is gone. */
export function isLeftover(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const tag = TAG.exec(name.slice(prefix.length));
  if (!tag || tag[3] !== hostTag) return false;
  const start = startTimeOf(Number(tag[1]));
  if (start === null) return true;
  return start !== 0 && Number(tag[2]) !== 0 && start !== Number(tag[2]);
}

/** Removes the leftovers with `prefix` in `parent`; answers the paths removed. */
export async function removeLeftovers(parent: string, prefix: string): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const gone = names.filter((name) => isLeftover(name, prefix)).map((name) => join(parent, name));
  await Promise.all(gone.map((path) => rm(path, { recursive: true, force: true })));
  return gone;
}
