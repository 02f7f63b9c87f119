import type { DecodedFrame } from '../table-transfer/frame';

/**
 * One job for the sandbox. Every field is a value or a host path, so the caller may be
 * the API process (embedded) or a queue worker in another process: nothing refers to
 * the caller's memory.
 */
export interface SandboxRunRequest {
  /**
   * Opaque key of the data the code runs on (execution passes the session id). After a
   * run the sandbox keeps one process ready with this key's input already read, since
   * "fix the code, run again" on the same data is the common loop; `forget` drops it.
   */
  key: string;
  /** Host path of the input frame (src/table-transfer/frame.ts); read only, never changed. */
  inputFile: string;
  /** The user's Python, defining the policy's entry point (`transform(df)`). */
  code: string;
  /**
   * Host path the result frame streams to while the job runs (the server never holds
   * the bytes meanwhile); removed once decoded. The session's folder, so it counts
   * against the session's disk and goes with it.
   */
  resultFile: string;
  /** Aborting kills the sandbox; the result then says `cancelled`. */
  signal: AbortSignal;
}

interface RunOutput {
  /** What the code printed, together capped at SANDBOX_MAX_OUTPUT_BYTES. */
  stdout: string;
  stderr: string;
  /** From the moment the sandbox was ready to its exit. */
  durationMs: number;
}

/**
 * The outcome: the decoded output frame (memory of the process that called `run`), or
 * a person-readable error. The code's own failures are results, not exceptions.
 * `checkPassed`: the module's `check(df, out)` (CHECK_FUNCTION) returned (true) or raised
 * (false); null when the module defines none, or the run ended before it gave a verdict.
 */
export type SandboxRunResult =
  | (RunOutput & { status: 'success'; frame: DecodedFrame; checkPassed: boolean | null })
  | (RunOutput & { status: 'error'; errorMessage: string; checkPassed: boolean | null });

/**
 * Port: runs untrusted code against an input frame in a fresh sandbox. The adapter
 * (PooledSandboxRunner) hides the warm pool and its priming, input placement, the
 * runner process, its launcher and the policy.
 */
export abstract class SandboxRunner {
  /** Rejects only for faults of the server (a sandbox that could not be started is a result). */
  abstract run(request: SandboxRunRequest): Promise<SandboxRunResult>;

  /** The key's data is gone: nothing is kept ready for it any more. */
  abstract forget(key: string): void;
}
