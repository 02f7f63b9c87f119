/** What /health reports about the sandbox. */
export interface SandboxStatus {
  isolation: 'bwrap' | 'process';
  python: string | null;
  pandas: string | null;
}

/** Port: whoever runs untrusted code tells health what isolation it has, and whether jobs may run. */
export abstract class SandboxStatusProvider {
  abstract status(): SandboxStatus;

  /** Why jobs are refused (a sentence for the person), or null when they run. */
  abstract readonly refusal: string | null;
}
