/** What other modules may use of the sandbox: its modules and its ports. */
export { SandboxModule } from './sandbox.module';
export { SandboxRunner } from './sandbox-runner';
export type { SandboxRunRequest, SandboxRunResult } from './sandbox-runner';
export { CodeChecker } from './code-checker';
export { SandboxStatusProvider } from './sandbox-status';
export type { SandboxStatus } from './sandbox-status';
export { SandboxPolicyModule } from './policy/sandbox-policy.module';
export { SANDBOX_POLICY } from './policy/sandbox-policy';
export type { SandboxPolicy } from './policy/sandbox-policy';
