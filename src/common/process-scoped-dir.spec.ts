import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  isLeftover,
  makeProcessScopedDir,
  processScopedName,
  removeLeftovers,
} from './process-scoped-dir';

describe('process-scoped folders', () => {
  let parent: string;

  beforeEach(() => (parent = mkdtempSync(join(tmpdir(), 'acb-scoped-'))));
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  /** The tag a process with this pid and start time on this host would give. */
  const tagged = (pid: number, start: string): string =>
    basename(makeProcessScopedDir(parent, 'x-')).replace(/^x-p\d+s\d+/, `x-p${pid}s${start}`);

  it("keeps this process's folders and files", () => {
    const dir = makeProcessScopedDir(parent, 'x-');
    expect(isLeftover(basename(dir), 'x-')).toBe(false);
    expect(isLeftover(processScopedName('', 'file'), '')).toBe(false);
  });

  it('judges a folder whose process is gone, or whose pid now names a younger process', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    expect(isLeftover(tagged(gone, '1'), 'x-')).toBe(true);
    expect(isLeftover(tagged(process.pid, '1'), 'x-')).toBe(true);
  });

  it('never judges names it did not make: other prefixes, other hosts, untagged', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const name = tagged(gone, '1');
    expect(isLeftover(name, 'y-')).toBe(false);
    expect(isLeftover(name.replace(/h[0-9a-f]{8}-/, 'h00000000-'), 'x-')).toBe(false);
    expect(isLeftover('x-AbC123', 'x-')).toBe(false);
  });

  it('removes only the leftovers', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const mine = makeProcessScopedDir(parent, 'x-');
    const old = join(parent, tagged(gone, '7'));
    writeFileSync(old, '');
    const removed = await removeLeftovers(parent, 'x-');
    expect(removed).toEqual([old]);
    expect(existsSync(mine)).toBe(true);
  });
});
