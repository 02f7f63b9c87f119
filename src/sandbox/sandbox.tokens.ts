/** The SandboxSelection made at start (drivers/sandbox-selection.ts). */
export const SANDBOX_SELECTION = Symbol('SANDBOX_SELECTION');
