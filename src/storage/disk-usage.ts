import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DecodedFrame } from '../table-transfer/frame';

/**
 * Bytes of the files under `dir` (recursively; links not followed); 0 when it is missing.
 * Files named in `except` (at any depth) are left out.
 */
export async function directoryBytes(dir: string, except: string[] = []): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile() && !except.includes(e.name))
      .map((e) =>
        lstat(join(e.parentPath, e.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** Bytes a job's output holds: its columns' values, text and missing-value masks as decoded. */
export function frameBytes(frame: DecodedFrame): number {
  return frame.columns.reduce(
    (sum, c) =>
      sum + (c.kind === 's' ? c.text.byteLength : c.values.byteLength) + (c.valid?.byteLength ?? 0),
    0,
  );
}

/** A byte count as people read it: `512 B`, `1.5 MB`, `2 GB` (binary multiples). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${units[unit]}`;
}
