import { Module } from '@nestjs/common';
import { SandboxPolicyModule } from '../policy/sandbox-policy.module';
import { SandboxPool } from '../pool/sandbox-pool';
import { SandboxRunner } from '../sandbox-runner';
import { SandboxModule } from '../sandbox.module';
import { PooledSandboxRunner } from './pooled-sandbox-runner';

/**
 * The SandboxRunner port (run a job in a fresh sandbox), over the warm pool. Imported only
 * where jobs run: the embedded server, or a worker (src/worker.ts).
 */
@Module({
  imports: [SandboxModule, SandboxPolicyModule],
  providers: [SandboxPool, { provide: SandboxRunner, useClass: PooledSandboxRunner }],
  exports: [SandboxRunner],
})
export class SandboxRunnerModule {}
