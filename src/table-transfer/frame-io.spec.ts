import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeOutput,
  encodeOutputInPython,
  readInputInPython,
} from '../../test/support/frame-io-python';
import { DecodedColumn, encodeFrame, Frame } from './frame';

const bits = (values: bigint[]): BigInt64Array => new BigInt64Array(values);
const NS = 1_000_000_000n;

describe('frame_io.py reads input frames (kind + dtype → the column transform sees)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'acb-frame-io-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds each kind with its dtype, missing values as pandas has them', () => {
    const valid = new Uint8Array([1, 0, 1]);
    const frame: Frame = {
      rows: 3,
      columns: [
        { name: 'i', kind: 'i', dtype: 'int64', valid: null, values: bits([1n, -2n, 2n ** 62n]) },
        { name: 'I', kind: 'i', dtype: 'Int64', valid, values: bits([1n, 0n, -(2n ** 63n)]) },
        {
          name: 'u',
          kind: 'u',
          dtype: 'uint64',
          valid: null,
          values: new BigInt64Array(new BigUint64Array([0n, 2n ** 64n - 1n, 2n ** 63n]).buffer),
        },
        { name: 'f', kind: 'f', dtype: 'float64', valid, values: new Float64Array([0.1, 0, -0]) },
        { name: 'b', kind: 'b', dtype: 'bool', valid: null, values: new Uint8Array([1, 0, 1]) },
        { name: 'bo', kind: 'b', dtype: 'object', valid, values: new Uint8Array([1, 1, 0]) },
        { name: 'bn', kind: 'b', dtype: 'boolean', valid, values: new Uint8Array([0, 1, 1]) },
        {
          name: 't',
          kind: 't',
          dtype: 'datetime64[ns]',
          valid,
          values: bits([1_709_287_200n * NS + 1n, 0n, -(2n ** 63n) + 1n]),
        },
        {
          name: 'z',
          kind: 'z',
          dtype: 'datetime64[ns, Europe/Paris]',
          tz: 'Europe/Paris',
          valid: null,
          values: bits([1_709_287_200n * NS, 0n, 1_719_792_000n * NS]),
        },
        {
          name: 'zf',
          kind: 'z',
          dtype: 'datetime64[ns, pytz.FixedOffset(330)]',
          tz: '+05:30',
          valid: null,
          values: bits([0n, 0n, 0n]),
        },
        {
          name: 'd',
          kind: 'd',
          dtype: 'timedelta64[ns]',
          valid,
          values: bits([-NS, 0n, 86_400n * NS + 1n]),
        },
        {
          name: 'T',
          kind: 'T',
          dtype: 'object',
          valid,
          values: bits([(10n * 3600n + 1n) * NS + 500_000n, 0n, 0n]),
        },
        { name: 's', kind: 's', dtype: 'object', valid, values: ['héllo', '', ''] },
        { name: 'st', kind: 's', dtype: 'string', valid, values: ['a', '', 'b'] },
        { name: 'i', kind: 'i', dtype: 'int64', valid: null, values: bits([7n, 8n, 9n]) },
        { name: '', kind: 'i', dtype: 'int64', valid: null, values: bits([0n, 0n, 0n]) },
      ],
    };
    const file = join(dir, 'input.bin');
    writeFileSync(file, Buffer.concat(encodeFrame(frame)));
    const out = readInputInPython(file);
    expect(out.columns).toEqual(frame.columns.map((c) => c.name));
    expect(out.dtypes).toEqual([
      'int64',
      'Int64',
      'uint64',
      'float64',
      'bool',
      'object',
      'boolean',
      'datetime64[ns]',
      'datetime64[ns, Europe/Paris]',
      'datetime64[ns, pytz.FixedOffset(330)]',
      'timedelta64[ns]',
      'object',
      'object',
      'string',
      'int64',
      'int64',
    ]);
    expect(out.values).toEqual([
      ['1', '-2', String(2n ** 62n)],
      ['1', '<NA>', String(-(2n ** 63n))],
      ['0', String(2n ** 64n - 1n), String(2n ** 63n)],
      ['0.1', 'nan', '-0.0'],
      ['True', 'False', 'True'],
      ['True', 'nan', 'False'],
      ['False', '<NA>', 'True'],
      [
        "Timestamp('2024-03-01 10:00:00.000000001')",
        'NaT',
        "Timestamp('1677-09-21 00:12:43.145224193')",
      ],
      [
        "Timestamp('2024-03-01 11:00:00+0100', tz='Europe/Paris')",
        "Timestamp('1970-01-01 01:00:00+0100', tz='Europe/Paris')",
        "Timestamp('2024-07-01 02:00:00+0200', tz='Europe/Paris')",
      ],
      [
        "Timestamp('1970-01-01 05:30:00+0530', tz='pytz.FixedOffset(330)')",
        "Timestamp('1970-01-01 05:30:00+0530', tz='pytz.FixedOffset(330)')",
        "Timestamp('1970-01-01 05:30:00+0530', tz='pytz.FixedOffset(330)')",
      ],
      ["Timedelta('-1 days +23:59:59')", 'NaT', "Timedelta('1 days 00:00:00.000000001')"],
      ['datetime.time(10, 0, 1, 500)', 'nan', 'datetime.time(0, 0)'],
      ["'héllo'", 'nan', "''"],
      ["'a'", '<NA>', "'b'"],
      ['7', '8', '9'],
      ['0', '0', '0'],
    ]);
  });
});

describe('frame_io.py writes output frames (what transform returned → kinds the server decodes)', () => {
  const encode = (code: string) =>
    decodeOutput(encodeOutputInPython(code), { maxRows: 1000, maxColumns: 100 });
  const summary = (c: DecodedColumn) => ({
    name: c.name,
    kind: c.kind,
    dtype: c.dtype,
    ...(c.tz ? { tz: c.tz } : {}),
    ...(c.as ? { as: c.as } : {}),
  });

  it('sends every dtype as its kind, with its dtype, zone and missing values', () => {
    const frame = encode(`import datetime as dt
from decimal import Decimal
out = pd.DataFrame({
    "u": np.array([1, 2**64 - 1], dtype="uint64"),
    "I": pd.array([None, 5], dtype="Int64"),
    "f32": np.array([0.5, np.nan], dtype="float32"),
    "B": pd.array([True, None], dtype="boolean"),
    "z": pd.to_datetime(["2024-01-01", None]).tz_localize("Europe/Paris"),
    "zf": pd.to_datetime(["2024-01-01 00:00+05:30", "2024-01-02 00:00+05:30"]),
    "d": pd.to_timedelta(["1ns", None]),
    "T": [dt.time(1, 2, 3, 4), None],
    "D": [dt.date(1, 1, 1), None],
    "c": pd.Categorical(["x", None]),
    "dec": [Decimal("1.10"), None],
})`);
    expect(frame.columns.map(summary)).toEqual([
      { name: 'u', kind: 'u', dtype: 'uint64' },
      { name: 'I', kind: 'i', dtype: 'Int64' },
      { name: 'f32', kind: 'f', dtype: 'float32' },
      { name: 'B', kind: 'b', dtype: 'boolean' },
      { name: 'z', kind: 'z', dtype: 'datetime64[ns, Europe/Paris]', tz: 'Europe/Paris' },
      { name: 'zf', kind: 'z', dtype: 'datetime64[ns, pytz.FixedOffset(330)]', tz: '+05:30' },
      { name: 'd', kind: 'd', dtype: 'timedelta64[ns]' },
      { name: 'T', kind: 'T', dtype: 'object' },
      { name: 'D', kind: 's', dtype: 'object', as: 'date' },
      { name: 'c', kind: 's', dtype: 'category' },
      { name: 'dec', kind: 's', dtype: 'object' },
    ]);
    const [u, I, , B, z, , d, T, D] = frame.columns;
    expect(u.kind !== 's' && new BigUint64Array(u.values.buffer)[1]).toBe(2n ** 64n - 1n);
    expect(I.valid).toEqual(new Uint8Array([0, 1]));
    expect(B.valid).toEqual(new Uint8Array([1, 0]));
    expect(z.kind === 'z' && z.values[0]).toBe(1_704_063_600n * NS);
    expect(d.kind === 'd' && [d.values[0], d.valid]).toEqual([1n, new Uint8Array([1, 0])]);
    expect(T.kind === 'T' && T.values[0]).toBe((3600n + 120n + 3n) * NS + 4000n);
    expect(D.kind === 's' && D.text.toString()).toBe('0001-01-01\u0000');
    expect(frame.warnings).toEqual([
      "Column 'dec' holds Decimal values (kept to every digit); its values were sent as text.",
    ]);
  });

  it('keeps an index that holds data as leading columns and drops row numbers', () => {
    const named = encode(
      'out = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="k")).iloc[::-1]',
    );
    expect(named.columns.map((c) => c.name)).toEqual(['k', 'v']);
    const rowNumbers = encode('out = pd.DataFrame({"v": [3, 1, 2]}).sort_values("v")');
    expect(rowNumbers.columns.map((c) => c.name)).toEqual(['v']);
    expect(rowNumbers.warnings).toEqual([]);
    const floats = encode('out = pd.DataFrame({"v": [1, 2]}, index=[0.5, 1.5])');
    expect(floats.columns.map((c) => c.name)).toEqual(['index', 'v']);
  });

  it('names columns as to_csv writes them, and says when labels were flattened', () => {
    const frame = encode(
      'out = pd.DataFrame([[1, 2, 3, 4]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("b", ""), (1, 2.5), (None, "y")]))',
    );
    expect(frame.columns.map((c) => c.name)).toEqual(['a_x', 'b', '1_2.5', 'y']);
    expect(frame.warnings).toEqual([
      "The result's column labels have several levels; each name joins its levels with '_'.",
    ]);
  });
});
