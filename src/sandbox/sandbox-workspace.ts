import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { copyFile, link, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeProcessScopedDir } from '../common/process-scoped-dir';
import { storageConfig } from '../config/configuration';
import { FRAME_IO_PYTHON_DIR } from '../table-transfer/frame';
import { SANDBOX_GID, SANDBOX_UID } from './sandbox-limits';

/** The trusted Python files, beside this file in src/ (ts-jest) and in dist/ (nest-cli copies *.py). */
export const PYTHON_SOURCE_DIR = join(__dirname, 'python');
/** Workspace folders, in TEMP_DIR or the system temp directory, named for their process. */
export const WORKSPACE_DIR_PREFIX = 'acb-sandbox-';

/**
 * The host folders sandboxes use: a copy of the runner files and one private
 * folder per sandbox for its job's input, all removed at shutdown.
 *
 * When the server runs as root, sandboxes run as `nobody`, so the folder lives in
 * the system temp directory (TEMP_DIR may sit under a private parent nobody
 * cannot cross) and each job folder belongs to nobody.
 */
@Injectable()
export class SandboxWorkspace implements OnApplicationShutdown {
  readonly dropsPrivileges = process.getuid?.() === 0;
  private base: string | null = null;

  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
  ) {}

  /** Creates the folders (once). */
  prepare(): void {
    if (this.base) return;
    const parent = this.dropsPrivileges ? tmpdir() : this.storage.tempDir;
    mkdirSync(parent, { recursive: true });
    const base = makeProcessScopedDir(parent, WORKSPACE_DIR_PREFIX);
    chmodSync(base, this.dropsPrivileges ? 0o711 : 0o700);
    const runner = join(base, 'runner');
    mkdirSync(runner, { mode: 0o755 });
    for (const source of [PYTHON_SOURCE_DIR, FRAME_IO_PYTHON_DIR]) {
      for (const file of readdirSync(source).filter((f) => f.endsWith('.py'))) {
        copyFileSync(join(source, file), join(runner, file));
        chmodSync(join(runner, file), 0o644);
      }
    }
    this.base = base;
  }

  get baseDir(): string {
    if (!this.base) throw new Error('sandbox workspace not prepared');
    return this.base;
  }

  get runnerDir(): string {
    return join(this.baseDir, 'runner');
  }

  /** uid/gid for spawn(): sandboxes never run as root. */
  get spawnIdentity(): { uid?: number; gid?: number } {
    return this.dropsPrivileges ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : {};
  }

  /** A fresh folder, readable only by the sandbox it is made for. */
  createJobDir(): string {
    const dir = mkdtempSync(join(this.baseDir, 'job-'));
    if (this.dropsPrivileges) chownSync(dir, SANDBOX_UID, SANDBOX_GID);
    chmodSync(dir, 0o700);
    return dir;
  }

  async removeJobDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  onApplicationShutdown(): void {
    if (this.base) rmSync(this.base, { recursive: true, force: true });
    this.base = null;
  }
}

/** Puts an input file where a sandbox can read it: a hard link when possible, else a copy. */
export async function placeInput(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    await copyFile(source, target);
  }
}
