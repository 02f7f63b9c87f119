import { constants as osConstants } from 'node:os';
import { decodeFrame, MalformedFrame } from '../../table-transfer/frame';
import {
  ERROR_MESSAGE_MAX_CHARS,
  OUTPUT_MAX_COLUMNS,
  RESULT_HEADER_MAX_BYTES,
} from '../sandbox-limits';
import { SandboxRunResult } from '../sandbox-runner';

/**
 * What a runner's answers mean (runner.py's ready line, its result header and frame,
 * its exit), in the words a person reads. Pure functions: the process itself is
 * supervised in runner-process.ts.
 */

export interface RunnerLimits {
  timeoutMs: number;
  maxMemoryMb: number;
  /** Cap on stdout and stderr together. */
  maxOutputBytes: number;
  /** Cap on the encoded output frame. */
  maxResultBytes: number;
  maxOutputRows: number;
  scratchBytes: number;
}

export interface RunnerVersions {
  python: string;
  pandas: string;
}

export interface ReadyLine extends RunnerVersions {
  /** The sandbox read its input before the job (a primed sandbox). */
  preloaded: boolean;
}

export type RunOutput = Omit<SandboxRunResult, 'status' | 'frame' | 'errorMessage' | 'checkPassed'>;

/** Why the server killed a sandbox. */
export type StopReason = 'timeout' | 'cancelled' | 'output' | 'result' | 'protocol' | 'storage';

const MIB = 1024 * 1024;

/** 1048576 → '1 MB', 65536 → '64 KB'. */
export function formatBytes(bytes: number): string {
  if (bytes % MIB === 0) return `${bytes / MIB} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

const formatCount = (n: number): string => n.toLocaleString('en-US');

/** The result of a run the server stopped (`writeErrorCode`: why the result file failed). */
export function stoppedResult(
  reason: StopReason,
  limits: RunnerLimits,
  out: RunOutput,
  writeErrorCode?: string,
): SandboxRunResult {
  // Stopped from outside: whatever check was doing, it gave no verdict.
  const fail = (errorMessage: string): SandboxRunResult => ({
    ...out,
    status: 'error',
    errorMessage,
    checkPassed: null,
  });
  const seconds = Math.ceil(limits.timeoutMs / 1000);
  switch (reason) {
    case 'timeout':
      return fail(`timed out after ${seconds} s`);
    case 'cancelled':
      return fail('cancelled');
    case 'output':
      return fail(
        `printed more than ${formatBytes(limits.maxOutputBytes)} to stdout/stderr; that is the limit`,
      );
    case 'result':
      return fail(`output is larger than ${formatBytes(limits.maxResultBytes)}; that is the limit`);
    case 'protocol':
      return fail('the sandbox did not start correctly');
    case 'storage':
      return fail(
        `the output could not be stored on the server (${writeErrorCode ?? 'write failed'})`,
      );
  }
}

/**
 * What the runner sent on its result channel after the ready line (header line, then the
 * frame's bytes), and how it exited, as a result. Every byte is untrusted.
 */
export function resultOf(
  raw: Buffer,
  code: number | null,
  exitSignal: NodeJS.Signals | null,
  limits: RunnerLimits,
  out: RunOutput,
): SandboxRunResult {
  const fail = (errorMessage: string): SandboxRunResult => ({
    ...out,
    status: 'error',
    errorMessage,
    checkPassed: null,
  });
  const seconds = Math.ceil(limits.timeoutMs / 1000);
  const newline = raw.indexOf(0x0a);
  if (newline < 0 || newline > RESULT_HEADER_MAX_BYTES) {
    const killedBy = exitSignal ?? signalFromExitCode(code);
    if (killedBy === 'SIGXCPU' || killedBy === 'SIGKILL') {
      return fail(`timed out after ${seconds} s (CPU time limit)`);
    }
    if (killedBy) {
      return fail(
        `the sandboxed Python process crashed (${killedBy}); it may have run out of memory ` +
          `(limit ${limits.maxMemoryMb} MB) or accessed invalid memory`,
      );
    }
    return fail(
      `the sandboxed Python process exited with code ${code ?? 'unknown'} without a result`,
    );
  }
  if (raw.length - newline - 1 > limits.maxResultBytes) {
    return fail(`output is larger than ${formatBytes(limits.maxResultBytes)}; that is the limit`);
  }
  let header: unknown;
  try {
    header = JSON.parse(raw.subarray(0, newline).toString('utf8'));
  } catch {
    return fail('the sandbox returned malformed output: the header is not JSON');
  }
  return interpret(header, raw.subarray(newline + 1), limits, out);
}

function interpret(
  header: unknown,
  body: Buffer,
  limits: RunnerLimits,
  out: RunOutput,
): SandboxRunResult {
  const h = (typeof header === 'object' && header !== null ? header : {}) as Record<
    string,
    unknown
  >;
  // job.py's "check": true (check returned), false (it raised), null (none, or not reached).
  const checkPassed = h.check === true ? true : h.check === false ? false : null;
  const fail = (errorMessage: string): SandboxRunResult => ({
    ...out,
    status: 'error',
    errorMessage: errorMessage.slice(0, ERROR_MESSAGE_MAX_CHARS),
    checkPassed,
  });
  if (h.status === 'ok') {
    if (Array.isArray(h.columns) && h.columns.length > OUTPUT_MAX_COLUMNS) {
      return fail(
        `output has ${formatCount(h.columns.length)} columns; the limit is ${formatCount(OUTPUT_MAX_COLUMNS)}`,
      );
    }
    try {
      const frame = decodeFrame(h, body, {
        maxRows: limits.maxOutputRows,
        maxColumns: OUTPUT_MAX_COLUMNS,
      });
      return { ...out, status: 'success', frame, checkPassed: checkPassed === true ? true : null };
    } catch (error) {
      if (error instanceof MalformedFrame)
        return fail(`the sandbox returned malformed output: ${error.message}`);
      throw error;
    }
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  switch (h.kind) {
    case 'memory':
      return fail(
        `${checkPassed === false ? 'check failed: ' : ''}used more than ${limits.maxMemoryMb} MB of memory`,
      );
    case 'rows': {
      const rows =
        typeof h.rows === 'number' && Number.isSafeInteger(h.rows)
          ? formatCount(h.rows)
          : 'too many';
      return fail(`output has ${rows} rows; the limit is ${formatCount(limits.maxOutputRows)}`);
    }
    case 'type': {
      const type =
        text(h.type)
          .replace(/[^\w.]/g, '')
          .slice(0, 100) || 'something else';
      const article = type === 'None' ? '' : /^[aeiou]/i.test(type) ? 'an ' : 'a ';
      return fail(`transform returned ${article}${type}, not a DataFrame`);
    }
    case 'no_columns':
      return fail('transform returned a DataFrame with no columns');
    case 'exception':
    case 'output':
      return fail(text(h.message) || 'the code failed');
    case 'check':
      // job.py writes 'check failed: <message> (line N)'.
      return fail(text(h.message) || 'check failed');
    default:
      return fail('the sandbox returned malformed output: unknown result');
  }
}

/** bubblewrap reports a sandboxed process killed by signal N as exit code 128 + N. */
function signalFromExitCode(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === code - 128);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

/** The runner's first line on the result channel: its versions, once pandas is imported. */
export function parseReady(line: Buffer): ReadyLine | null {
  try {
    const ready = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    if (
      ready.event !== 'ready' ||
      typeof ready.python !== 'string' ||
      typeof ready.pandas !== 'string'
    )
      return null;
    return {
      python: ready.python.slice(0, 50),
      pandas: ready.pandas.slice(0, 50),
      preloaded: ready.preloaded === true,
    };
  } catch {
    return null;
  }
}
