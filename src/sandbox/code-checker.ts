/**
 * Port: the static check of code against config/sandbox-policy.json, run before a job is
 * queued for fast, clear feedback. Not the security boundary (the sandbox is).
 */
export abstract class CodeChecker {
  /** Every violation as one line of text (`line L, column C: ...`); empty when the code may run. */
  abstract check(code: string): Promise<string[]>;
}
