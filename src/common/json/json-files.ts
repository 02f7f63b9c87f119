import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { recordOf } from './record-of';

/**
 * Writes `value` as JSON to `path` atomically: a temp file (mode 0600) in the same
 * folder, then a rename, so a reader or a crash sees the old file or the new one, never
 * half of one. Creates the folder (mode 0700) when missing.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(partial, JSON.stringify(value), { mode: 0o600 });
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * File operations one at a time per path, in call order: a later write of a record
 * never lands before an earlier one, and a removal waits for writes under way.
 */
export class PathQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `op` once every earlier op on `path` has settled; answers its outcome. */
  run(path: string, op: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(path) ?? Promise.resolve()).catch(() => undefined).then(op);
    const tail = next.catch(() => undefined);
    this.tails.set(path, tail);
    void tail.then(() => {
      if (this.tails.get(path) === tail) this.tails.delete(path);
    });
    return next;
  }
}

/** A copy of `record` without a prototype (keys are user text: `__proto__` is a key like any other). */
export function nullPrototype<T>(record: Record<string, T>): Record<string, T> {
  return recordOf(Object.keys(record), Object.values(record));
}

/** Ids name files: server-made ids only (letters, digits, `-`, `_`), never a path. */
export function assertFileSafeId(id: string): string {
  if (!isFileSafeId(id)) throw new Error(`not a usable id: ${JSON.stringify(id)}`);
  return id;
}

/** Whether `id` may name a file (see assertFileSafeId). */
export function isFileSafeId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,100}$/.test(id);
}
