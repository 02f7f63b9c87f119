import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findSandboxPolicyFile,
  loadSandboxPolicy,
  parseSandboxPolicy,
  policyJson,
} from './sandbox-policy';

describe('sandbox policy', () => {
  it('finds the project file upwards from a nested folder', () => {
    const path = findSandboxPolicyFile([join(__dirname, 'python')]);
    expect(path).toBe(join(__dirname, '..', '..', '..', 'config', 'sandbox-policy.json'));
  });

  it('loads the allowlist the checker uses', () => {
    const policy = loadSandboxPolicy();
    expect(policy.entryPoint).toBe('transform');
    expect(policy.allowedImports).toEqual(expect.arrayContaining(['pandas', 'numpy']));
    expect(policy.forbiddenBuiltins).toEqual(expect.arrayContaining(['eval', 'exec', 'open']));
  });

  it('treats the optional lists as empty and rejects a malformed file', () => {
    const minimal = parseSandboxPolicy(
      JSON.stringify({
        allowed_imports: ['math'],
        forbidden_builtins: [],
        entry_point: 'transform',
      }),
    );
    expect(minimal.forbiddenAttributePrefixes).toEqual([]);
    expect(() =>
      parseSandboxPolicy(
        JSON.stringify({ allowed_imports: 'pandas', forbidden_builtins: [], entry_point: 'f' }),
      ),
    ).toThrow(/allowed_imports/);
    expect(() =>
      parseSandboxPolicy(
        JSON.stringify({ allowed_imports: [], forbidden_builtins: [], entry_point: 'no way' }),
      ),
    ).toThrow(/entry_point/);
  });

  it('gives checker.py every key of the file, as the file spells it', () => {
    const file = JSON.parse(readFileSync(findSandboxPolicyFile(), 'utf8')) as Record<
      string,
      unknown
    >;
    delete file.$comment;
    const policy = loadSandboxPolicy();
    expect(policyJson(policy)).toEqual(file);
    expect(parseSandboxPolicy(JSON.stringify(policyJson(policy)))).toEqual(policy);
  });
});
