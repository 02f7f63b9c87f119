import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Readable, Writable } from 'node:stream';
import { sandboxConfig } from '../../config/configuration';
import { limitsArgument } from '../runner/runner-process';
import {
  CHECKER_OUTPUT_MAX_BYTES,
  CHECKER_TIMEOUT_MS,
  ERROR_MESSAGE_MAX_CHARS,
} from '../sandbox-limits';
import { policyJson, SANDBOX_POLICY, SandboxPolicy } from '../policy/sandbox-policy';
import { CodeChecker } from '../code-checker';
import { SandboxChild, SandboxProvider } from '../drivers/sandbox-provider';
import { SandboxStatusProvider } from '../sandbox-status';
import { WarmPool } from '../pool/warm-pool';

interface Violation {
  line: number;
  column: number;
  message: string;
}

function isViolation(v: unknown): v is Violation {
  const r = v as Record<string, unknown>;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof r.line === 'number' &&
    typeof r.column === 'number' &&
    typeof r.message === 'string'
  );
}

const describe = (v: Violation): string =>
  (v.line > 0 ? `line ${v.line}, column ${v.column}: ${v.message}` : v.message).slice(
    0,
    ERROR_MESSAGE_MAX_CHARS,
  );

/**
 * The static check (port: CodeChecker): Python's own `ast` (checker.py) in a sandboxed
 * child, against config/sandbox-policy.json.
 */
@Injectable()
export class SandboxCodeChecker
  extends CodeChecker
  implements OnModuleInit, BeforeApplicationShutdown
{
  private readonly policyJson: Record<string, unknown>;
  /** Checkers started ahead (interpreter up, limits and seccomp applied), one request each. */
  private readonly idle: WarmPool<WaitingChecker>;
  private closed = false;

  constructor(
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    private readonly provider: SandboxProvider,
    private readonly status: SandboxStatusProvider,
    @Inject(SANDBOX_POLICY) policy: SandboxPolicy,
  ) {
    super();
    this.policyJson = policyJson(policy);
    this.idle = new WarmPool({
      size: cfg.poolSize,
      start: () => this.start(),
      usable: (checker) => !checker.exited,
      mayStart: () => !this.closed && !this.status.refusal,
    });
  }

  onModuleInit(): void {
    this.idle.refill();
  }

  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const checker of this.idle.drain()) checker.child.kill();
  }

  /** Every violation as one line of text; empty when the code may run. */
  async check(code: string): Promise<string[]> {
    const checker = this.idle.take() ?? this.start();
    this.idle.refill();
    const { child, closed } = checker;
    const proc = child.process;
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: string | null = null;
    const timer = setTimeout(() => {
      failure ??= 'timed out';
      child.kill();
    }, CHECKER_TIMEOUT_MS);
    (proc.stdout as Readable).on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > CHECKER_OUTPUT_MAX_BYTES) {
        failure ??= 'too much output';
        child.kill();
      } else chunks.push(chunk);
    });
    (proc.stdin as Writable).end(JSON.stringify({ code, policy: this.policyJson }));
    const exitCode = await closed;
    clearTimeout(timer);
    if (!failure && checker.error) failure = checker.error.message;
    if (!failure && exitCode !== 0)
      failure = `the checker exited with code ${exitCode ?? 'unknown'}`;
    if (!failure) {
      try {
        const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          violations?: unknown;
        };
        if (Array.isArray(answer.violations) && answer.violations.every(isViolation)) {
          return answer.violations.map(describe);
        }
        failure = 'unexpected answer';
      } catch {
        failure = 'unexpected answer';
      }
    }
    return [`the code could not be checked (${failure})`];
  }

  private start(): WaitingChecker {
    const child = this.provider.launch({
      script: 'checker.py',
      args: [limitsArgument(this.cfg, 'check')],
    });
    const proc = child.process;
    (proc.stderr as Readable).resume();
    (proc.stdio[3] as Readable | null)?.resume();
    (proc.stdin as Writable).on('error', () => undefined);
    const checker: WaitingChecker = {
      child,
      exited: false,
      closed: new Promise<number | null>((resolve) => {
        proc.on('error', (error: Error) => {
          checker.error ??= error;
          resolve(null);
        });
        proc.on('close', (exitCode) => resolve(exitCode));
      }),
    };
    void checker.closed.then(() => {
      checker.exited = true;
      this.idle.remove(checker);
    });
    return checker;
  }
}

interface WaitingChecker {
  child: SandboxChild;
  exited: boolean;
  closed: Promise<number | null>;
  /** Why it could not run (not started, or its launcher died). */
  error?: Error;
}
