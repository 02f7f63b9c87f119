/** What other modules may use of the sandbox: its modules and its ports. */
export { SandboxModule } from './sandbox.module';
export { SandboxRunnerModule } from './runner/sandbox-runner.module';
export { SandboxRunner } from './sandbox-runner';
export type { SandboxRunRequest, SandboxRunResult } from './sandbox-runner';
export { CHECK_FUNCTION } from './sandbox-limits';
export { CodeChecker } from './code-checker';
export { SandboxStatusProvider } from './sandbox-status';
export type { SandboxStatus } from './sandbox-status';
export { SandboxPolicyModule } from './policy/sandbox-policy.module';
export { SANDBOX_POLICY } from './policy/sandbox-policy';
export type { SandboxPolicy } from './policy/sandbox-policy';
/** Prefix of the sandbox workspace folders in TEMP_DIR (for the start-up sweep). */
export { WORKSPACE_DIR_PREFIX } from './sandbox-workspace';
