import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * config/sandbox-policy.json: what generated code may use. The static checker enforces it
 * and the code-generation prompt quotes it, so the model is told the rules it is held to.
 */
export interface SandboxPolicy {
  allowedImports: string[];
  forbiddenBuiltins: string[];
  forbiddenAttributes: string[];
  forbiddenAttributePrefixes: string[];
  allowedToAttributes: string[];
  entryPoint: string;
}

export const SANDBOX_POLICY_PATH = join('config', 'sandbox-policy.json');

/**
 * Finds the policy file from the working directory, then upwards from this file, so
 * it resolves from the project root, from `src/` under ts-jest and from `dist/` alike.
 */
export function findSandboxPolicyFile(starts: string[] = [process.cwd(), __dirname]): string {
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, SANDBOX_POLICY_PATH);
      if (existsSync(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`${SANDBOX_POLICY_PATH} not found from ${starts.join(' or ')}`);
}

function stringList(raw: Record<string, unknown>, key: string, required: boolean): string[] {
  const value = raw[key];
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`${SANDBOX_POLICY_PATH}: "${key}" must be a list of strings`);
  }
  return value;
}

export function parseSandboxPolicy(json: string): SandboxPolicy {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (typeof raw.entry_point !== 'string' || !/^[A-Za-z_]\w*$/.test(raw.entry_point)) {
    throw new Error(`${SANDBOX_POLICY_PATH}: "entry_point" must be a Python identifier`);
  }
  return {
    allowedImports: stringList(raw, 'allowed_imports', true),
    forbiddenBuiltins: stringList(raw, 'forbidden_builtins', true),
    forbiddenAttributes: stringList(raw, 'forbidden_attributes', false),
    forbiddenAttributePrefixes: stringList(raw, 'forbidden_attribute_prefixes', false),
    allowedToAttributes: stringList(raw, 'allowed_to_attributes', false),
    entryPoint: raw.entry_point,
  };
}

export function loadSandboxPolicy(path: string = findSandboxPolicyFile()): SandboxPolicy {
  return parseSandboxPolicy(readFileSync(path, 'utf8'));
}

/** Injection token for the loaded policy (provided once, by SandboxPolicyModule). */
export const SANDBOX_POLICY = Symbol('SANDBOX_POLICY');

/** The part of the policy the runner enforces at run time (runner.py). */
export type RunnerPolicy = Pick<
  SandboxPolicy,
  'allowedImports' | 'forbiddenBuiltins' | 'entryPoint'
>;

/** The policy as checker.py reads it: the file's own keys. */
export function policyJson(policy: SandboxPolicy): Record<string, unknown> {
  return {
    allowed_imports: policy.allowedImports,
    forbidden_builtins: policy.forbiddenBuiltins,
    forbidden_attributes: policy.forbiddenAttributes,
    forbidden_attribute_prefixes: policy.forbiddenAttributePrefixes,
    allowed_to_attributes: policy.allowedToAttributes,
    entry_point: policy.entryPoint,
  };
}
