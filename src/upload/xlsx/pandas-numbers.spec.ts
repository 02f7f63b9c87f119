import { execFileSync } from 'node:child_process';
import { PYTHON } from '../../../test/support/pandas-oracle';
import { castNumber, floatify, integralText, pyInt } from './pandas-numbers';
import { pyFloatRepr } from './py-values';

/** Runs a Python function over JSON inputs; returns its JSON answers. */
function python(body: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys\nimport numpy as np\nfrom pandas._libs import lib\n${body}\nprint(json.dumps([answer(x) for x in json.load(sys.stdin)]))`;
  return JSON.parse(
    execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(inputs) }).toString(),
  ) as unknown[];
}

/** Deterministic pseudo-random strings shaped like numbers, and some that are not. */
function numberLikeStrings(count: number): string[] {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    let s: string;
    if (r < 0.4)
      s = `${digits(1 + Math.floor(random() * 20))}.${digits(1 + Math.floor(random() * 20))}`;
    else if (r < 0.6) s = String(random() * 10 ** Math.floor(random() * 60 - 30));
    else if (r < 0.75) s = digits(1 + Math.floor(random() * 22));
    else
      s = Array.from(
        { length: 1 + Math.floor(random() * 8) },
        () => '0123456789.eE+- '[Math.floor(random() * 16)],
      ).join('');
    if (random() < 0.2) s += `e${Math.floor(random() * 660) - 330}`;
    if (random() < 0.1) s = `-${s}`;
    out.push(s);
  }
  return out;
}

const EDGES = [
  '.',
  '-',
  '+',
  'e5',
  '1e',
  '1.',
  ' 1',
  '1 ',
  '\t1',
  '1\n',
  '\u00a01',
  '1e+',
  '1e-5',
  '1E5',
  '-.5',
  '1..2',
  '1e5.5',
  '00012',
  '-0',
  '0.0',
  '1e308',
  '1e309',
  '2e-400',
  '1e-320',
  '9223372036854775808',
  '18446744073709551616',
  '-9223372036854775809',
  'INF',
  'Infinity',
  '-INFINITY',
  '+inf',
  'nan',
  '1_0',
  ' ',
  '12345678901234567890123.5',
  '0x1',
  '0.000000000000000000001234567890123456789',
  '51750.1736392818365009963',
  '1e000000000000000001',
  '1e00000000000000001',
  '0e400',
];

describe("floatify (pandas' text-to-number parse)", () => {
  const inputs = [...EDGES, ...numberLikeStrings(3000)];
  const pandas = python(
    `def answer(s):
    try:
        r, _ = lib.maybe_convert_numeric(np.array([s], dtype=object), set(), False)
    except Exception:
        return None
    v = r[0]
    return ['int', str(int(v))] if r.dtype.kind in 'iu' else ['float', repr(float(v))]`,
    inputs,
  ) as ([string, string] | null)[];

  it('reads the same numbers as pandas 1.5.3, digit for digit', () => {
    const ours = inputs.map((s) => {
      const f = floatify(s);
      if (!f) return null;
      if (!f.maybeInt) return ['float', pyFloatRepr(f.value)];
      const asInt = integralText(s);
      // pandas gives up on integers beyond uint64 ("Integer out of range").
      if (asInt < -(2n ** 63n) || asInt > 2n ** 64n - 1n) return null;
      return ['int', String(asInt)];
    });
    expect(ours).toEqual(pandas);
  });
});

describe("castNumber (openpyxl's reading of a numeric cell)", () => {
  const inputs = [
    '1',
    '-0',
    '1.5',
    '1E3',
    '1e-5',
    ' 12 ',
    '1_000',
    '1_0.5',
    '+7',
    'nan',
    'inf',
    '1e999',
    'abc',
    '12345678901234567890123',
    '-1.25e+2',
  ];
  const python_ = python(
    `def answer(s):
    try:
        v = float(s) if ('.' in s or 'E' in s or 'e' in s) else int(s)
    except Exception:
        return None
    return ['float', repr(v)] if isinstance(v, float) else ['int', str(v)]`,
    inputs,
  );

  it('follows Python int() and float()', () => {
    const ours = inputs.map((s) => {
      const cast = castNumber(s);
      if (!cast) return null;
      return 'float' in cast ? ['float', pyFloatRepr(cast.float)] : ['int', String(cast.int)];
    });
    expect(ours).toEqual(python_);
  });

  it('keeps integers exact beyond 2^53', () => {
    expect(pyInt('123456789012345678901')).toBe(123456789012345678901n);
    expect(pyInt('-9007199254740993')).toBe(-9007199254740993n);
    expect(pyInt('42')).toBe(42);
  });
});
