import { DecodedColumn, decodeFrame, encodeFrame, Frame, MalformedFrame } from './frame';

const valuesOf = (c: DecodedColumn): unknown =>
  c.kind === 's' ? c.text.toString('utf8').split('\u0000') : c.values;

const LIMITS = { maxRows: 100, maxColumns: 10 };

function split(parts: Buffer[]): { header: unknown; body: Buffer } {
  const all = Buffer.concat(parts);
  const newline = all.indexOf(0x0a);
  return {
    header: JSON.parse(all.subarray(0, newline).toString()),
    body: all.subarray(newline + 1),
  };
}

describe('frame encoding', () => {
  const frame: Frame = {
    rows: 3,
    columns: [
      { name: 'i', kind: 'i', valid: null, values: new BigInt64Array([1n, -2n, 3n]) },
      { name: 'f', kind: 'f', valid: null, values: new Float64Array([1.5, NaN, -0]) },
      { name: 'b', kind: 'b', valid: new Uint8Array([1, 0, 1]), values: new Uint8Array([1, 0, 0]) },
      {
        name: 't',
        kind: 't',
        valid: null,
        values: new BigInt64Array([0n, 1_700_000_000_000_000n, -1n]),
      },
      { name: 's', kind: 's', valid: new Uint8Array([1, 1, 0]), values: ['héllo', 'a\u0000b', ''] },
    ],
  };

  it('round-trips every kind, missing values included', () => {
    const { header, body } = split(encodeFrame(frame));
    const back = decodeFrame(header, body, LIMITS);
    expect(back.rows).toBe(3);
    expect(back.columns.map((c) => [c.name, c.kind])).toEqual(
      frame.columns.map((c) => [c.name, c.kind]),
    );
    expect(valuesOf(back.columns[0])).toEqual(new BigInt64Array([1n, -2n, 3n]));
    expect(Array.from(valuesOf(back.columns[1]) as Float64Array)).toEqual([1.5, NaN, -0]);
    expect(back.columns[2].valid).toEqual(new Uint8Array([1, 0, 1]));
    expect(back.columns[1].valid).toBeNull();
    // NUL separates text values, so one inside a value is replaced.
    expect(valuesOf(back.columns[4])).toEqual(['héllo', 'a\ufffdb', '']);
  });

  it('carries the pandas dtype of input columns in the header', () => {
    const { header } = split(
      encodeFrame({
        rows: 1,
        columns: [
          { name: 'x', kind: 'i', dtype: 'int64', valid: null, values: new BigInt64Array([1n]) },
        ],
      }),
    );
    expect(header).toEqual({
      rows: 1,
      columns: [{ name: 'x', kind: 'i', nulls: false, size: 8, dtype: 'int64' }],
    });
  });

  it('decodes an empty frame', () => {
    const { header, body } = split(
      encodeFrame({ rows: 0, columns: [{ name: 's', kind: 's', valid: null, values: [] }] }),
    );
    const text = decodeFrame(header, body, LIMITS).columns[0];
    expect(text.kind === 's' && text.text.length).toBe(0);
  });
});

describe('decoding untrusted frames', () => {
  const column = { name: 'x', kind: 'i', nulls: false, size: 16 };
  const ok = { rows: 2, columns: [column] };

  it.each([
    ['a non-object header', 'nope', Buffer.alloc(16), /header is not an object/],
    ['a negative row count', { ...ok, rows: -1 }, Buffer.alloc(16), /row count is invalid/],
    ['a fractional row count', { ...ok, rows: 1.5 }, Buffer.alloc(16), /row count is invalid/],
    ['too many rows', { ...ok, rows: 101 }, Buffer.alloc(808), /101 rows exceed the limit of 100/],
    ['no columns', { rows: 2, columns: [] }, Buffer.alloc(0), /needs 1 to 10 columns/],
    [
      'too many columns',
      { rows: 0, columns: Array(11).fill({ ...column, size: 0 }) },
      Buffer.alloc(0),
      /needs 1 to 10/,
    ],
    [
      'an unknown kind',
      { rows: 2, columns: [{ ...column, kind: 'pickle' }] },
      Buffer.alloc(16),
      /unknown kind/,
    ],
    [
      'a name that is not text',
      { rows: 2, columns: [{ ...column, name: 5 }] },
      Buffer.alloc(16),
      /has no name/,
    ],
    [
      'a size that does not fit the kind',
      { rows: 2, columns: [{ ...column, size: 8 }] },
      Buffer.alloc(8),
      /8 bytes for 2 rows/,
    ],
    ['a body shorter than described', ok, Buffer.alloc(15), /describes 16 bytes but 15 arrived/],
    ['a body longer than described', ok, Buffer.alloc(17), /describes 16 bytes but 17 arrived/],
    [
      'validity bytes missing',
      { rows: 2, columns: [{ ...column, nulls: true }] },
      Buffer.alloc(16),
      /describes 18 bytes/,
    ],
    [
      'text with the wrong value count',
      { rows: 2, columns: [{ name: 's', kind: 's', nulls: false, size: 1 }] },
      Buffer.from('a'),
      /1 values for 2 rows/,
    ],
  ])('refuses %s', (_name, header, body, message) => {
    expect(() => decodeFrame(header, body, LIMITS)).toThrow(MalformedFrame);
    expect(() => decodeFrame(header, body, LIMITS)).toThrow(message);
  });

  it.each([
    ['a dtype that is not text', { dtype: 5 }, /invalid dtype/],
    ['a dtype too long', { dtype: 'x'.repeat(201) }, /invalid dtype/],
    ['a time zone that is not text', { tz: ['UTC'] }, /invalid time zone/],
  ])('refuses %s', (_name, extra, message) => {
    const header = { rows: 2, columns: [{ ...column, ...extra }] };
    expect(() => decodeFrame(header, Buffer.alloc(16), LIMITS)).toThrow(message);
  });

  it('keeps dtype, a z column\'s zone and an s column\'s "as", and bounds the warnings', () => {
    const frame = decodeFrame(
      {
        rows: 1,
        columns: [
          { name: 'z', kind: 'z', nulls: false, size: 8, dtype: 'datetime64[ns, UTC]', tz: 'UTC' },
          { name: 'i', kind: 'i', nulls: false, size: 8, tz: 'ignored', as: 'date' },
          { name: 'd', kind: 's', nulls: false, size: 1, as: 'date' },
          { name: 's', kind: 's', nulls: false, size: 1, as: 'pickle' },
        ],
        warnings: ['ok', 5, '', 'x'.repeat(5000), ...Array(200).fill('more')],
      },
      Buffer.concat([Buffer.alloc(16), Buffer.from('ab')]),
      LIMITS,
    );
    expect(frame.columns.map((c) => [c.dtype, c.tz, c.as])).toEqual([
      ['datetime64[ns, UTC]', 'UTC', undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, 'date'],
      [undefined, undefined, undefined],
    ]);
    expect(frame.warnings).toHaveLength(100);
    expect(frame.warnings.slice(0, 2)).toEqual(['ok', 'x'.repeat(1000)]);
  });

  it('has no warnings when the header lists none', () => {
    const frame = decodeFrame({ rows: 2, columns: [column] }, Buffer.alloc(16), LIMITS);
    expect(frame.warnings).toEqual([]);
  });

  it('reads fixed-width data at any offset (the body follows a text header)', () => {
    const body = Buffer.alloc(17);
    body.writeBigInt64LE(42n, 1);
    const frame = decodeFrame(
      {
        rows: 1,
        columns: [
          { name: 'v', kind: 'b', nulls: false, size: 1 },
          { name: 'x', kind: 'i', nulls: false, size: 8 },
          { name: 'y', kind: 'f', nulls: false, size: 8 },
        ],
      },
      body,
      LIMITS,
    );
    expect(valuesOf(frame.columns[1])).toEqual(new BigInt64Array([42n]));
  });

  it('keeps text as bytes and repairs invalid UTF-8 without moving separators', () => {
    const body = Buffer.from([0x61, 0xff, 0x00, 0x62]);
    const frame = decodeFrame(
      { rows: 2, columns: [{ name: 's', kind: 's', nulls: false, size: 4 }] },
      body,
      LIMITS,
    );
    expect(valuesOf(frame.columns[0])).toEqual(['a\ufffd', 'b']);
  });
});
