/** What /health reports about the sandbox. */
export interface SandboxStatus {
  isolation: 'bwrap' | 'process';
  python: string | null;
  pandas: string | null;
}

/** Port: whoever runs untrusted code tells health what isolation it has. */
export abstract class SandboxStatusProvider {
  abstract status(): SandboxStatus;
}
