import type { SandboxProcess } from './sandbox-launcher';

export type IsolationLevel = 'bwrap' | 'process';

export interface SandboxLaunchOptions {
  /** A script of the runner folder: `runner.py` or `checker.py`. */
  script: string;
  /** Its arguments. Other local users can read argv, so nothing secret goes here. */
  args: string[];
  /** A host folder the sandbox may read (its job's input), if it needs one. */
  inputDir?: string;
}

/**
 * A started sandbox. stdio: 0 the request, 1 and 2 what the code prints, 3 the result
 * channel. The process runs under the sandbox launcher; a ChildProcess fits too.
 */
export interface SandboxChild {
  readonly process: SandboxProcess;
  /** The input folder on the host and as the sandboxed code sees it. */
  readonly hostInputDir: string | null;
  readonly sandboxInputDir: string | null;
  /** SIGKILLs everything the sandbox started; safe to call more than once. */
  kill(): void;
}

/**
 * Port: starts the trusted Python runner inside some isolation. Everything above the
 * process (protocol, timeouts, caps, pooling) is shared by the adapters; an adapter
 * only decides how the process is confined.
 */
export abstract class SandboxProvider {
  abstract readonly isolation: IsolationLevel;

  /** Starts `script` confined; never throws for the code's own behaviour. */
  abstract launch(options: SandboxLaunchOptions): SandboxChild;

  /** Where a host input folder appears to the sandboxed code. */
  abstract sandboxInputDir(hostDir: string): string;
}
