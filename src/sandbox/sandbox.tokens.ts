/** The SandboxSelection made at start (sandbox-selection.ts). */
export const SANDBOX_SELECTION = Symbol('SANDBOX_SELECTION');
