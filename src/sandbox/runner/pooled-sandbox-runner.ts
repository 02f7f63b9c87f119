import { Inject, Injectable } from '@nestjs/common';
import { RunnerPolicy, SANDBOX_POLICY, SandboxPolicy } from '../policy/sandbox-policy';
import { SandboxPool } from '../pool/sandbox-pool';
import { SandboxRunner, SandboxRunRequest, SandboxRunResult } from '../sandbox-runner';
import { placeInput } from '../sandbox-workspace';
import { RunnerProcess } from './runner-process';

/**
 * The SandboxRunner of this process: a sandbox from the warm pool (the key's primed one
 * when it is ready), the input hard-linked in, one job, then the sandbox is killed and
 * the pool primes the next one for the key (unless the run was aborted).
 */
@Injectable()
export class PooledSandboxRunner extends SandboxRunner {
  private readonly policy: RunnerPolicy;

  constructor(
    private readonly pool: SandboxPool,
    @Inject(SANDBOX_POLICY) policy: SandboxPolicy,
  ) {
    super();
    const { allowedImports, forbiddenBuiltins, entryPoint } = policy;
    this.policy = { allowedImports, forbiddenBuiltins, entryPoint };
  }

  async run({
    key,
    inputFile,
    code,
    resultFile,
    signal,
  }: SandboxRunRequest): Promise<SandboxRunResult> {
    let runner: RunnerProcess | null = null;
    try {
      runner = this.pool.acquire(key);
      if (!runner.inputPlaced) await placeInput(inputFile, runner.hostInputFile);
      return await runner.run({ code, policy: this.policy, resultFile }, signal);
    } finally {
      runner?.stop('cancelled');
      if (!signal.aborted) void this.pool.prime(key, inputFile).catch(() => undefined);
    }
  }

  forget(key: string): void {
    this.pool.forget(key);
  }
}
