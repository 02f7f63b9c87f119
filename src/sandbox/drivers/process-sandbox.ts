import { join } from 'node:path';
import { SANDBOX_ENV } from '../sandbox-limits';
import {
  IsolationLevel,
  SandboxChild,
  SandboxLaunchOptions,
  SandboxProvider,
} from './sandbox-provider';
import { SandboxLauncher } from './sandbox-launcher';
import { SandboxWorkspace } from '../sandbox-workspace';

/**
 * Weak isolation for hosts without user namespaces: a separate interpreter with an
 * empty environment plus the allowlist, `nobody` when the server is root, and the
 * runner's own layers (rlimits, seccomp, audit hook, curated builtins). The host's
 * files stay readable to it; the factory logs that loudly and production refuses
 * it unless SANDBOX_ALLOW_WEAK_ISOLATION=true.
 */
export class ProcessSandbox extends SandboxProvider {
  readonly isolation: IsolationLevel = 'process';

  constructor(
    private readonly python: string,
    private readonly workspace: SandboxWorkspace,
    private readonly launcher: SandboxLauncher,
  ) {
    super();
    workspace.prepare();
  }

  sandboxInputDir(hostDir: string): string {
    return hostDir;
  }

  launch(options: SandboxLaunchOptions): SandboxChild {
    const child = this.launcher.launch({
      file: this.python,
      args: ['-E', '-s', '-B', join(this.workspace.runnerDir, options.script), ...options.args],
      env: { ...SANDBOX_ENV },
      cwd: options.inputDir ?? this.workspace.runnerDir,
      ...this.workspace.spawnIdentity,
      killMode: 'group',
    });
    return {
      ...child,
      hostInputDir: options.inputDir ?? null,
      sandboxInputDir: options.inputDir ?? null,
    };
  }
}
