import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { limitsArgument } from '../runner/runner-process';
import { loadSandboxPolicy, policyJson } from '../policy/sandbox-policy';
import { PYTHON_SOURCE_DIR } from '../sandbox-workspace';

const PYTHON = '/usr/bin/python3';
const LIMITS = limitsArgument(
  {
    timeoutMs: 10_000,
    maxMemoryMb: 512,
    maxOutputBytes: 1024,
    maxResultBytes: 1024,
    maxOutputRows: 10,
    scratchBytes: 1 << 20,
  },
  'check',
);
const policy = policyJson(loadSandboxPolicy());

/** Runs checker.py itself (the service adds only the sandbox around it). */
function check(code: string): string[] {
  const res = spawnSync(PYTHON, ['-E', '-s', '-B', join(PYTHON_SOURCE_DIR, 'checker.py'), LIMITS], {
    input: JSON.stringify({ code, policy }),
    env: {},
  });
  expect(res.status).toBe(0);
  const answer = JSON.parse(res.stdout.toString()) as {
    violations: { line: number; message: string }[];
  };
  return answer.violations.map((v) => `${v.line}: ${v.message}`);
}

const transformModule = (body: string): string =>
  `import pandas as pd\nimport numpy as np\n\ndef transform(df):\n${body}\n`;

describe('checker.py (static check with Python ast)', () => {
  it.each([
    ['a group-by', '    return df.groupby("a", as_index=False).agg(total=("b", "sum"))'],
    [
      'dates and numbers',
      '    df["d"] = pd.to_datetime(df["d"])\n    df["n"] = pd.to_numeric(df["n"], errors="coerce")\n    return df',
    ],
    ['query with a local', '    limit = 3\n    return df.query("a > @limit")'],
    [
      'string methods and apply',
      '    df["s"] = df["s"].str.upper().apply(lambda v: v[:3])\n    return df.to_dict() and df',
    ],
    [
      'helpers, classes and comprehensions',
      '    class Row:\n        def __init__(self, v):\n            self.v = v\n    return pd.DataFrame([{"v": Row(i).v} for i in range(3)])',
    ],
    [
      'allowed standard library',
      '    import math, re, json, datetime, collections\n    return df.assign(x=math.pi)',
    ],
    [
      'dtypes API',
      '    return df[[c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]]',
    ],
    [
      'a check(df, out) beside transform, as generated modules have',
      '    return df[df["b"] > 0].reset_index(drop=True)\n\n' +
        'def check(df, out):\n' +
        '    for c in ["a", "b"]:\n' +
        '        assert c in out.columns, f"missing column {c!r}"\n' +
        '    assert len(out) <= len(df), "more rows than the input"\n' +
        '    assert not out["a"].duplicated().any(), "a is not unique"\n' +
        '    assert len(out) == 0 or not out["b"].isna().all(), "b is entirely missing"\n' +
        '    assert (out["b"] > 0).all(), "b has values that are not positive"',
    ],
  ])('accepts ordinary pandas code: %s', (_name, body) => {
    expect(check(transformModule(body))).toEqual([]);
  });

  it.each([
    [
      'syntax errors with their line',
      'def transform(df)\n    return df\n',
      /^1: SyntaxError: expected ':'/,
    ],
    ['indentation errors', 'def transform(df):\nreturn df\n', /^2: IndentationError/],
    [
      'imports outside the allowlist',
      transformModule('    import os\n    return df'),
      /^5: import of 'os' is not allowed/,
    ],
    [
      'from-imports of forbidden names',
      'from pandas import read_csv\n' + transformModule('    return df'),
      /^1: attribute 'read_csv' is not allowed/,
    ],
    [
      'submodule escape hatches',
      'import numpy.ctypeslib\n' + transformModule('    return df'),
      /attribute 'ctypeslib' is not allowed/,
    ],
    [
      'relative imports',
      'from . import x\n' + transformModule('    return df'),
      /relative imports are not allowed/,
    ],
    [
      'star imports',
      'from math import *\n' + transformModule('    return df'),
      /'from math import \*' is not allowed/,
    ],
    [
      'dunder attributes',
      transformModule('    return ().__class__.__base__.__subclasses__()'),
      /dunder attribute '__class__'/,
    ],
    ['dunder names', transformModule('    return __builtins__'), /dunder name '__builtins__'/],
    ['private attributes', transformModule('    return df._mgr'), /private attribute '_mgr'/],
    [
      'forbidden builtins',
      transformModule('    return getattr(df, "x")'),
      /'getattr' is not allowed/,
    ],
    ['exec', transformModule('    exec("1")\n    return df'), /'exec' is not allowed/],
    [
      'pandas I/O writers',
      transformModule('    df.to_parquet("x")\n    return df'),
      /'to_parquet' is not allowed/,
    ],
    [
      'pandas readers',
      transformModule('    return pd.read_csv("/etc/passwd")'),
      /'read_csv' is not allowed/,
    ],
    [
      'pd.compat.os',
      transformModule('    return pd.compat.os.system("id")'),
      /'compat' is not allowed/,
    ],
    ['np.ctypeslib', transformModule('    return np.ctypeslib'), /'ctypeslib' is not allowed/],
    ['pickle via numpy', transformModule('    return np.compat.pickle'), /'compat' is not allowed/],
    [
      'ndarray.tofile',
      transformModule('    df.values.tofile("x")\n    return df'),
      /'tofile' is not allowed/,
    ],
    [
      'sys through datetime',
      transformModule('    import datetime\n    return datetime.sys.modules'),
      /attribute 'sys' is not allowed/,
    ],
    [
      'operator.attrgetter',
      transformModule('    import operator\n    return operator.attrgetter("compat")(pd)'),
      /'attrgetter' is not allowed/,
    ],
    [
      'string-named methods in apply',
      transformModule('    return df.apply("to_pickle", path="x")'),
      /'to_pickle' is not allowed/,
    ],
    [
      'attributes inside query strings',
      transformModule('    return df.query("@pd.compat.os.system(1) == 0")'),
      /'compat' is not allowed \(in a query\/eval expression\)/,
    ],
    [
      'dunders inside eval strings',
      transformModule('    return df.eval("__import__")'),
      /'__import__' is not allowed \(in a query\/eval expression\)/,
    ],
    [
      'format-string traversal',
      transformModule('    return "{0.__class__}".format(df)'),
      /format string reaches attribute '__class__'/,
    ],
    [
      'match-class attribute patterns',
      transformModule('    match df:\n        case object(__class__=c):\n            return c'),
      /dunder attribute '__class__'/,
    ],
    [
      'importing sys',
      transformModule('    import sys\n    return df'),
      /import of 'sys' is not allowed/,
    ],
    [
      'frame attributes',
      transformModule('    f = (lambda: 0)\n    return f.f_globals'),
      /attribute 'f_globals' is not allowed/,
    ],
    [
      'a missing transform',
      'import pandas as pd\n\ndef run(df):\n    return df\n',
      /^0: no top-level function 'def transform\(df\)' is defined/,
    ],
    [
      'an async transform',
      'async def transform(df):\n    return df\n',
      /must be a regular function, not async/,
    ],
    [
      'a transform without arguments',
      'def transform():\n    return 1\n',
      /must take the DataFrame as its first argument/,
    ],
  ])('flags %s', (_name, code, expected) => {
    expect(check(code).join('\n')).toMatch(expected);
  });

  it('reports every violation, in line order', () => {
    const found = check(
      'import os\nimport socket\n' + transformModule('    eval("1")\n    return df.__dict__'),
    );
    expect(found.map((f) => f.split(':')[0])).toEqual(['1', '2', '7', '8']);
  });

  it('survives pathological input without crashing', () => {
    expect(
      check('x = ' + '-'.repeat(200_000) + '1\n' + transformModule('    return df')).join(),
    ).toMatch(/cannot be parsed|nested too deeply/);
    expect(
      check('x = ' + '['.repeat(150) + ']'.repeat(150) + '\n' + transformModule('    return df')),
    ).toEqual([]);
    expect(check('\u0000')[0]).toMatch(/SyntaxError|cannot be parsed/);
  });

  it('blocks by name every dangerous module that an allowed module re-exports one hop away', () => {
    const script = `
import json, sys, types
sys.modules["numexpr"] = None
policy = json.loads(sys.argv[1])
danger = {"os", "sys", "subprocess", "ctypes", "socket", "pickle", "builtins", "importlib", "inspect",
          "codecs", "io", "shutil", "tempfile", "marshal", "gc", "signal", "threading", "multiprocessing",
          "pathlib", "posix", "mmap", "_posixsubprocess", "pty", "resource"}
exposed = []
for name in policy["allowed_imports"]:
    module = __import__(name)
    for attr in dir(module):
        try:
            value = getattr(module, attr)
        except Exception:
            continue
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[-1] in danger | {"compat", "ctypeslib", "errors", "core", "lib", "testing"}:
            exposed.append(attr)
print(json.dumps(sorted(set(exposed))))
`;
    const res = spawnSync(PYTHON, ['-c', script, JSON.stringify(policy)], { env: {} });
    const exposed = JSON.parse(res.stdout.toString()) as string[];
    expect(exposed.length).toBeGreaterThan(5);
    const forbidden = new Set(policy.forbidden_attributes as string[]);
    const prefixes = policy.forbidden_attribute_prefixes as string[];
    const unblocked = exposed.filter(
      (a) => !forbidden.has(a) && !prefixes.some((p) => a.startsWith(p)),
    );
    expect(unblocked).toEqual([]);
  });
});
