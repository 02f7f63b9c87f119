import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RunnerPolicy } from './runner-process';

const POLICY_FILE = join('config', 'sandbox-policy.json');

/** config/sandbox-policy.json, found from the working directory or upwards from here (src/ or dist/). */
export function findPolicyFile(starts: string[] = [process.cwd(), __dirname]): string {
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, POLICY_FILE);
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`${POLICY_FILE} not found from ${starts.join(' or ')}`);
}

/** The policy as the checker reads it (raw JSON) and the part the runner enforces. */
export interface LoadedPolicy {
  raw: Record<string, unknown>;
  runner: RunnerPolicy;
}

const strings = (value: unknown, key: string): string[] => {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`${POLICY_FILE}: "${key}" must be a list of strings`);
  }
  return value;
};

export function loadPolicy(path: string = findPolicyFile()): LoadedPolicy {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (typeof raw.entry_point !== 'string' || !/^[A-Za-z_]\w*$/.test(raw.entry_point)) {
    throw new Error(`${POLICY_FILE}: "entry_point" must be a Python identifier`);
  }
  return {
    raw,
    runner: {
      allowedImports: strings(raw.allowed_imports, 'allowed_imports'),
      forbiddenBuiltins: strings(raw.forbidden_builtins, 'forbidden_builtins'),
      entryPoint: raw.entry_point,
    },
  };
}
