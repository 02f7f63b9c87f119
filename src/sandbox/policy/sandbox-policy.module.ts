import { Module } from '@nestjs/common';
import { loadSandboxPolicy, SANDBOX_POLICY } from './sandbox-policy';

/**
 * config/sandbox-policy.json, read once at start (a missing or malformed file stops the
 * app early): the checker enforces it and the code-generation prompt quotes it.
 */
@Module({
  providers: [{ provide: SANDBOX_POLICY, useFactory: () => loadSandboxPolicy() }],
  exports: [SANDBOX_POLICY],
})
export class SandboxPolicyModule {}
