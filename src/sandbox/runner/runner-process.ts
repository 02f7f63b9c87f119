import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import {
  CHECK_FUNCTION,
  ERROR_MESSAGE_MAX_CHARS,
  RESULT_HEADER_MAX_BYTES,
  SANDBOX_INPUT_FILE,
  SANDBOX_MAX_OPEN_FILES,
  SANDBOX_MAX_PROCESSES,
  SANDBOX_START_TIMEOUT_MS,
  SANDBOX_STARTUP_CPU_SECONDS,
} from '../sandbox-limits';
import { SandboxChild } from '../drivers/sandbox-provider';
import { RunnerPolicy } from '../policy/sandbox-policy';
import { SandboxRunResult } from '../sandbox-runner';
import {
  parseReady,
  resultOf,
  RunnerLimits,
  RunnerVersions,
  RunOutput,
  StopReason,
  stoppedResult,
} from './runner-result';

export type { RunnerLimits, RunnerVersions } from './runner-result';

const MIB = 1024 * 1024;

/** What one job needs; its input frame must already be at `hostInputFile`. */
export interface RunnerJob {
  code: string;
  policy: RunnerPolicy;
  /**
   * Host file the result frame is written to as it arrives (removed after decoding), so
   * the server never holds the bytes while the job runs; without it they stay in memory.
   */
  resultFile?: string;
}

/** argv[1] of runner.py and checker.py (sandbox_limits.py); not secret, argv is public. */
export function limitsArgument(
  limits: RunnerLimits,
  mode: 'job' | 'probe' | 'check',
  preload?: string,
): string {
  return JSON.stringify({
    memory_bytes: limits.maxMemoryMb * MIB,
    // Lowered to the job's own budget once pandas is imported; a hard limit can only go down.
    cpu_seconds: SANDBOX_STARTUP_CPU_SECONDS + Math.ceil(limits.timeoutMs / 1000),
    file_bytes: limits.scratchBytes,
    open_files: SANDBOX_MAX_OPEN_FILES,
    processes: SANDBOX_MAX_PROCESSES,
    mode,
    ...(preload ? { preload } : {}),
  });
}

/** Collects a stream up to `max` bytes, in memory or in a file; reports the first byte beyond. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private fd: number | null = null;
  private file: string | null = null;
  size = 0;
  /** Set when the file could not be written (disk full): the push that failed returned false. */
  writeError: NodeJS.ErrnoException | null = null;
  constructor(private readonly max: number) {}

  /** From now on, bytes go to `file` (created, mode 0600) instead of memory. */
  toFile(file: string): void {
    this.fd = openSync(file, 'w', 0o600);
    this.file = file;
    for (const chunk of this.chunks.splice(0)) writeSync(this.fd, chunk);
  }

  /** False once the cap is passed (what fits is kept). */
  push(chunk: Buffer): boolean {
    const room = this.max - this.size;
    if (room > 0) {
      const part = room >= chunk.length ? chunk : chunk.subarray(0, room);
      if (this.fd === null) this.chunks.push(part);
      else if (this.writeError === null) {
        try {
          writeSync(this.fd, part);
        } catch (error) {
          this.writeError = error as NodeJS.ErrnoException;
          return false;
        }
      }
    }
    this.size += chunk.length;
    return this.size <= this.max;
  }

  /** Everything kept, as one buffer (read back from the file, if any). */
  buffer(): Buffer {
    if (this.file === null) return Buffer.concat(this.chunks);
    this.close();
    return readFileSync(this.file);
  }

  /** Closes and removes the file, if any. */
  discard(): void {
    this.close();
    if (this.file !== null) rmSync(this.file, { force: true });
  }

  private close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * One sandboxed runner.py, from start to exit: waits until it has imported pandas,
 * hands it exactly one job, supervises it (wall-clock timeout, output caps, abort)
 * and turns what it sends back into a result. Every byte it sends is untrusted.
 */
export class RunnerProcess {
  readonly ready: Promise<RunnerVersions>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private outputBytes = 0;
  private readonly stdoutChunks: Buffer[] = [];
  private readonly stderrChunks: Buffer[] = [];
  private readonly result: CappedBuffer;
  private preamble = Buffer.alloc(0);
  private isReady = false;
  private hasPreloaded = false;
  /** Set by whoever put the job's input in place before the start (a primed sandbox). */
  inputPlaced = false;
  private hasExited = false;
  private jobSent = false;
  private stopReason: StopReason | null = null;
  /** The sandbox could not be started or its launcher died ('error'). */
  private launchError: Error | null = null;

  constructor(
    private readonly child: SandboxChild,
    private readonly limits: RunnerLimits,
  ) {
    const proc = child.process;
    this.result = new CappedBuffer(limits.maxResultBytes + RESULT_HEADER_MAX_BYTES);
    let resolveReady!: (v: RunnerVersions) => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // Callers may never await it (a pooled sandbox that dies unused).
    this.ready.catch(() => undefined);

    const capture = (target: Buffer[]) => (chunk: Buffer) => {
      const room = limits.maxOutputBytes - this.outputBytes;
      if (room > 0) target.push(chunk.subarray(0, room));
      this.outputBytes += chunk.length;
      if (this.outputBytes > limits.maxOutputBytes) this.stop('output');
    };
    (proc.stdout as Readable).on('data', capture(this.stdoutChunks));
    (proc.stderr as Readable).on('data', capture(this.stderrChunks));
    (proc.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      if (this.isReady) {
        if (!this.result.push(chunk)) this.stop(this.result.writeError ? 'storage' : 'result');
        return;
      }
      this.preamble = Buffer.concat([this.preamble, chunk]);
      const end = this.preamble.indexOf(0x0a);
      if (end < 0) {
        if (this.preamble.length > RESULT_HEADER_MAX_BYTES) this.stop('protocol');
        return;
      }
      const versions = parseReady(this.preamble.subarray(0, end));
      if (!versions) {
        this.stop('protocol');
        rejectReady(new Error('the sandbox did not start correctly'));
        return;
      }
      this.isReady = true;
      this.hasPreloaded = versions.preloaded;
      resolveReady({ python: versions.python, pandas: versions.pandas });
      const rest = this.preamble.subarray(end + 1);
      if (rest.length > 0 && !this.result.push(rest)) this.stop('result');
    });
    (proc.stdin as Writable).on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      proc.on('error', (error: Error) => {
        // A failed spawn may never emit 'close'.
        this.launchError ??= error;
        this.hasExited = true;
        resolve({ code: null, signal: null });
      });
      proc.on('close', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
      });
    });
    void this.exited.then(() => {
      if (!this.isReady) rejectReady(new Error('the sandbox exited before it was ready'));
    });
  }

  get alive(): boolean {
    return !this.hasExited && this.stopReason === null;
  }

  /** Ready, and holding its input already (primed). */
  get preloaded(): boolean {
    return this.isReady && this.hasPreloaded;
  }

  get pid(): number | undefined {
    return this.child.process.pid;
  }

  /** Where the job's input frame must be put on the host before `run`. */
  get hostInputFile(): string {
    if (!this.child.hostInputDir) throw new Error('this sandbox has no input folder');
    return join(this.child.hostInputDir, SANDBOX_INPUT_FILE);
  }

  private get sandboxInputFile(): string {
    if (!this.child.sandboxInputDir) throw new Error('this sandbox has no input folder');
    return join(this.child.sandboxInputDir, SANDBOX_INPUT_FILE);
  }

  /** SIGKILL for the whole sandbox; the run (if any) reports `reason`. */
  stop(reason: StopReason): void {
    // After the exit its pid (and process group id) may belong to someone else.
    if (this.hasExited) return;
    this.stopReason ??= reason;
    this.child.kill();
  }

  /**
   * For the start-up self-test: closes stdin, waits (at most `timeoutMs`) for the exit
   * and returns what followed the ready line.
   */
  async finish(timeoutMs: number): Promise<Buffer> {
    (this.child.process.stdin as Writable).end();
    const timer = setTimeout(() => this.stop('timeout'), timeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
    return this.result.buffer();
  }

  /**
   * Sends the one job this sandbox will ever run and waits for the outcome. The
   * timeout counts from the moment the sandbox is ready (a cold start imports pandas first).
   */
  async run(job: RunnerJob, signal?: AbortSignal): Promise<SandboxRunResult> {
    if (this.jobSent) throw new Error('a sandbox runs exactly one job');
    this.jobSent = true;
    if (job.resultFile) this.result.toFile(job.resultFile);
    const onAbort = (): void => this.stop('cancelled');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const startTimer = setTimeout(() => this.stop('protocol'), SANDBOX_START_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    let started = Date.now();
    try {
      if (
        await this.ready.then(
          () => true,
          () => false,
        )
      ) {
        clearTimeout(startTimer);
        started = Date.now();
        timer = setTimeout(() => this.stop('timeout'), this.limits.timeoutMs);
        const message = {
          code: job.code,
          input_path: this.sandboxInputFile,
          max_rows: this.limits.maxOutputRows,
          timeout_seconds: Math.ceil(this.limits.timeoutMs / 1000),
          entry_point: job.policy.entryPoint,
          check_function: CHECK_FUNCTION,
          allowed_imports: job.policy.allowedImports,
          forbidden_builtins: job.policy.forbiddenBuiltins,
          error_message_max_chars: ERROR_MESSAGE_MAX_CHARS,
        };
        (this.child.process.stdin as Writable).end(JSON.stringify(message));
      }
      const { code, signal: exitSignal } = await this.exited;
      const out: RunOutput = {
        stdout: Buffer.concat(this.stdoutChunks).toString('utf8'),
        stderr: Buffer.concat(this.stderrChunks).toString('utf8'),
        durationMs: Date.now() - started,
      };
      if (this.stopReason)
        return stoppedResult(this.stopReason, this.limits, out, this.result.writeError?.code);
      if (this.launchError)
        return {
          ...out,
          status: 'error',
          errorMessage: this.launchError.message,
          checkPassed: null,
        };
      return resultOf(this.result.buffer(), code, exitSignal, this.limits, out);
    } finally {
      this.result.discard();
      clearTimeout(startTimer);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
