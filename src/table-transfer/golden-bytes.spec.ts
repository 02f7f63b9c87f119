import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeOutput,
  encodeOutputInPython,
  readInputInPython,
} from '../../test/support/frame-io-python';
import { DecodedColumn, encodeFrame, Frame } from './frame';

/**
 * Golden bytes of the frame format (frame.ts), read by both sides: a change to either
 * encoder that the other side has not followed fails here. After a deliberate change
 * of the format, rewrite the files with `UPDATE_GOLDEN=1 npx jest golden-bytes`.
 */
const GOLDEN_DIR = join(__dirname, 'golden');
const INPUT_FILE = join(GOLDEN_DIR, 'input.frame');
const OUTPUT_FILE = join(GOLDEN_DIR, 'output.frame');
const NS = 1_000_000_000n;
const bits = (values: bigint[]): BigInt64Array => new BigInt64Array(values);

function golden(file: string, bytes: Buffer): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, bytes);
  expect(bytes.equals(readFileSync(file))).toBe(true);
}

const valid = new Uint8Array([1, 0, 1]);
/** An input frame as the server writes it (InputCache): one column of each kind. */
const INPUT: Frame = {
  rows: 3,
  columns: [
    { name: 'i', kind: 'i', dtype: 'Int64', valid, values: bits([1n, 0n, -7n]) },
    {
      name: 'u',
      kind: 'u',
      dtype: 'uint64',
      valid: null,
      values: new BigInt64Array(new BigUint64Array([0n, 2n ** 64n - 1n, 7n]).buffer),
    },
    {
      name: 'f',
      kind: 'f',
      dtype: 'float64',
      valid: null,
      values: new Float64Array([1.5, NaN, -0]),
    },
    { name: 'b', kind: 'b', dtype: 'bool', valid: null, values: new Uint8Array([1, 0, 1]) },
    {
      name: 't',
      kind: 't',
      dtype: 'datetime64[ns]',
      valid,
      values: bits([1_709_287_200n * NS + 1n, 0n, 0n]),
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
      name: 'd',
      kind: 'd',
      dtype: 'timedelta64[ns]',
      valid,
      values: bits([-NS, 0n, 86_400n * NS]),
    },
    {
      name: 'T',
      kind: 'T',
      dtype: 'object',
      valid,
      values: bits([(10n * 3600n + 1n) * NS, 0n, 0n]),
    },
    { name: 's', kind: 's', dtype: 'object', valid, values: ['a', '', 'é€😀'] },
  ],
};

/** The DataFrame `transform` returns in the output test, one column per kind. */
const OUTPUT_DATAFRAME = `
import datetime as dt
out = pd.DataFrame({
    "i": pd.array([1, None, -7], dtype="Int64"),
    "u": np.array([0, 2**64 - 1, 7], dtype=np.uint64),
    "f": [1.5, float("nan"), -0.0],
    "b": [True, False, True],
    "t": pd.to_datetime(["2024-03-01 10:00:00.000000001", None, "1970-01-01"]),
    "z": pd.to_datetime(["2024-03-01 10:00", "1970-01-01", "2024-07-01"]).tz_localize("Europe/Paris"),
    "d": pd.to_timedelta(["-1s", None, "1 day"]),
    "T": [dt.time(10, 0, 1), None, dt.time(0, 0)],
    "s": ["a", None, "é€😀"],
    "date": [dt.date(2024, 3, 1), None, dt.date(1970, 1, 1)],
})
`;

describe('golden bytes of the frame format, read by TypeScript and by Python', () => {
  it('the server encodes the input frame to the golden bytes', () => {
    golden(INPUT_FILE, Buffer.concat(encodeFrame(INPUT)));
  });

  it('frame_io.py reads the golden input frame into the DataFrame transform sees', () => {
    const out = readInputInPython(INPUT_FILE);
    expect(out.columns).toEqual(['i', 'u', 'f', 'b', 't', 'z', 'd', 'T', 's']);
    expect(out.dtypes).toEqual(EXPECTED_INPUT_DTYPES);
    expect(out.values).toEqual(EXPECTED_INPUT_VALUES);
  });

  it('frame_io.py encodes the output frame to the golden bytes', () => {
    golden(OUTPUT_FILE, encodeOutputInPython(OUTPUT_DATAFRAME));
  });

  it('the server decodes the golden output frame', () => {
    const frame = decodeOutput(readFileSync(OUTPUT_FILE), { maxRows: 10, maxColumns: 20 });
    expect(frame.rows).toBe(3);
    expect(frame.warnings).toEqual([]);
    const byName = new Map(frame.columns.map((c) => [c.name, c]));
    const values = (name: string): unknown => {
      const c = byName.get(name) as DecodedColumn;
      return c.kind === 's' ? c.text.toString('utf8').split('\u0000') : [...c.values];
    };
    const validity = (name: string): number[] | null => {
      const v = byName.get(name)?.valid;
      return v ? [...v] : null;
    };
    expect(frame.columns.map((c) => [c.name, c.kind, c.dtype, c.tz ?? null, c.as ?? null])).toEqual(
      EXPECTED_OUTPUT_COLUMNS,
    );
    expect(values('i')).toEqual([1n, 0n, -7n]);
    expect(validity('i')).toEqual([1, 0, 1]);
    expect(values('u')).toEqual([0n, -1n, 7n]);
    expect(values('f')).toEqual([1.5, NaN, -0]);
    expect(values('b')).toEqual([1, 0, 1]);
    expect(values('t')).toEqual([1_709_287_200n * NS + 1n, expect.any(BigInt), 0n]);
    expect(validity('t')).toEqual([1, 0, 1]);
    expect(values('z')).toEqual([1_709_283_600n * NS, -3_600n * NS, 1_719_784_800n * NS]);
    expect(values('d')).toEqual([-NS, expect.any(BigInt), 86_400n * NS]);
    expect(validity('d')).toEqual([1, 0, 1]);
    expect(values('T')).toEqual([(10n * 3600n + 1n) * NS, expect.any(BigInt), 0n]);
    expect(validity('T')).toEqual([1, 0, 1]);
    expect(values('s')).toEqual(['a', '', 'é€😀']);
    expect(validity('s')).toEqual([1, 0, 1]);
    expect(values('date')).toEqual(['2024-03-01', '', '1970-01-01']);
    expect(validity('date')).toEqual([1, 0, 1]);
  });
});

const EXPECTED_INPUT_DTYPES = [
  'Int64',
  'uint64',
  'float64',
  'bool',
  'datetime64[ns]',
  'datetime64[ns, Europe/Paris]',
  'timedelta64[ns]',
  'object',
  'object',
];
/** repr() of each value, column by column. */
const EXPECTED_INPUT_VALUES = [
  ['1', '<NA>', '-7'],
  ['0', '18446744073709551615', '7'],
  ['1.5', 'nan', '-0.0'],
  ['True', 'False', 'True'],
  ["Timestamp('2024-03-01 10:00:00.000000001')", 'NaT', "Timestamp('1970-01-01 00:00:00')"],
  [
    "Timestamp('2024-03-01 11:00:00+0100', tz='Europe/Paris')",
    "Timestamp('1970-01-01 01:00:00+0100', tz='Europe/Paris')",
    "Timestamp('2024-07-01 02:00:00+0200', tz='Europe/Paris')",
  ],
  ["Timedelta('-1 days +23:59:59')", 'NaT', "Timedelta('1 days 00:00:00')"],
  ['datetime.time(10, 0, 1)', 'nan', 'datetime.time(0, 0)'],
  ["'a'", 'nan', "'é€😀'"],
];
/** name, kind, dtype, tz, as */
const EXPECTED_OUTPUT_COLUMNS = [
  ['i', 'i', 'Int64', null, null],
  ['u', 'u', 'uint64', null, null],
  ['f', 'f', 'float64', null, null],
  ['b', 'b', 'bool', null, null],
  ['t', 't', 'datetime64[ns]', null, null],
  ['z', 'z', 'datetime64[ns, Europe/Paris]', 'Europe/Paris', null],
  ['d', 'd', 'timedelta64[ns]', null, null],
  ['T', 'T', 'object', null, null],
  ['s', 's', 'object', null, null],
  ['date', 's', 'object', null, 'date'],
];
