import { join } from 'node:path';
import { findSandboxPolicyFile, loadSandboxPolicy, parseSandboxPolicy } from './sandbox-policy';

describe('sandbox policy', () => {
  it('finds the project file upwards from a nested folder', () => {
    const path = findSandboxPolicyFile([join(__dirname, 'python')]);
    expect(path).toBe(join(__dirname, '..', '..', 'config', 'sandbox-policy.json'));
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
});
