import { execFileSync } from 'node:child_process';
import { PYTHON } from '../../../test/support/pandas-oracle';
import {
  CellValueError,
  fromExcelSerial,
  fromIso8601,
  Kind,
  pyFloatRepr,
  pyStr,
  PyValue,
  timeDeltaText,
} from './py-values';

function python(body: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys, datetime\nfrom openpyxl.utils.datetime import from_excel, from_ISO8601, MAC_EPOCH, WINDOWS_EPOCH\n${body}\nprint(json.dumps([answer(x) for x in json.load(sys.stdin)]))`;
  return JSON.parse(
    execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(inputs) }).toString(),
  ) as unknown[];
}

const blank = (): PyValue => ({ kind: Kind.Empty, a: 0, b: 0 });

describe("fromExcelSerial (openpyxl's from_excel)", () => {
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const serials = [
    0,
    0.5,
    0.999999999,
    0.9999999999999,
    1,
    1.5,
    59,
    59.5,
    60,
    60.25,
    61,
    -1,
    -0.5,
    -693594,
    -693595,
    2958465,
    2958465.9999999,
    2958466,
    43831.123456789,
    43831.0000000001,
    45000.5,
    1e7,
    -1e9,
    ...Array.from({ length: 2000 }, () => Math.round(random() * 3e6 * 1e6) / 1e6 - 2e5),
    ...Array.from({ length: 500 }, () => Math.floor(random() * 80000) + random()),
  ];
  for (const date1904 of [false, true]) {
    it(`matches openpyxl in the ${date1904 ? '1904' : '1900'} date system`, () => {
      const expected = python(
        `def answer(v):
    try:
        return str(from_excel(v, ${date1904 ? 'MAC_EPOCH' : 'WINDOWS_EPOCH'}))
    except (OverflowError, ValueError):
        return None`,
        serials,
      );
      const ours = serials.map((v) => {
        const out = blank();
        return fromExcelSerial(v, date1904, out) ? pyStr(out) : null;
      });
      expect(ours).toEqual(expected);
    });
  }
});

describe('fromIso8601 (openpyxl\'s from_ISO8601 for t="d" cells)', () => {
  const inputs = [
    '2024-03-18T09:30:00',
    '2024-03-18',
    '13:45:30',
    '08:00',
    'T08:00',
    '2024-03-18T09:30',
    '2024-03-18 09:30:00',
    '2024-03-18T09:30:00.57',
    '2024-03-18T09:30:00.123Z',
    '2024-03-18T09:30:00.5+02:00',
    '2024-02-29',
    '2023-02-29',
    '2024-13-01',
    '0000-01-01',
    '24:00:00',
    'PT1H',
    'PT1H30M',
    'PT2S',
    'PT1.5S',
    'PT0.001S',
    'PT36H',
    'P1D',
    'PT',
    'abc',
    '9999-12-31T23:59:59.999',
    '2024-03-18T25:00',
  ];
  it('reads the same values, or fails where openpyxl raises', () => {
    const expected = python(
      `def answer(s):
    try:
        v = from_ISO8601(s)
    except ValueError:
        return None
    return [type(v).__name__, str(v)]`,
      inputs,
    );
    const names: Partial<Record<Kind, string>> = {
      [Kind.DateTime]: 'datetime',
      [Kind.Date]: 'date',
      [Kind.Time]: 'time',
      [Kind.TimeDelta]: 'timedelta',
    };
    const ours = inputs.map((s) => {
      const out = blank();
      try {
        fromIso8601(s, out);
      } catch (error) {
        if (error instanceof CellValueError) return null;
        throw error;
      }
      return [names[out.kind], pyStr(out)];
    });
    expect(ours).toEqual(expected);
  });
});

describe("Python's spelling of values", () => {
  it('repr(float) for doubles of every magnitude', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const values = [
      0.1,
      1.5,
      100,
      1e15,
      1e16,
      1.2345e16,
      1e-4,
      9.99e-5,
      1e-5,
      123456789.123,
      1e21,
      1e22,
      5e-324,
      1.7976931348623157e308,
      -0.0,
      0,
      -1.25,
      Infinity,
      -Infinity,
      NaN,
      ...Array.from(
        { length: 3000 },
        () => (random() - 0.5) * 10 ** Math.floor(random() * 60 - 30),
      ),
    ];
    const expected = python(
      'def answer(x):\n    return repr(float(x))',
      values.map((v) => (Number.isFinite(v) && !Object.is(v, -0) ? v : String(v))),
    ) as string[];
    const pythonish = values.map((v) => (Object.is(v, -0) ? '-0.0' : pyFloatRepr(v)));
    expect(pythonish.map((s, i) => (Object.is(values[i], -0) ? '-0.0' : s))).toEqual(
      expected.map((s, i) => (Object.is(values[i], -0) ? '-0.0' : s)),
    );
  });

  it('str(timedelta) with days, negative days and microseconds', () => {
    const cases: [number, number][] = [
      [0, 0],
      [0, 3_600_000_000],
      [1, 0],
      [2, 45_296_000_001],
      [-1, 82_800_000_000],
      [-3, 5],
    ];
    const expected = python(
      'def answer(x):\n    return str(datetime.timedelta(days=x[0], microseconds=x[1]))',
      cases,
    );
    expect(cases.map(([d, us]) => timeDeltaText(d, us))).toEqual(expected);
  });
});
