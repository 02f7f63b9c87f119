import type { CellObject } from 'xlsx';
import {
  CellValue,
  cellText,
  cellValue,
  ColumnType,
  ColumnTypeTracker,
  excelSerialToDate,
  ndjsonLines,
  planTable,
  RowSource,
} from './sheet-table';

const rowsOf = (rows: (CellValue[] | undefined)[]): RowSource => ({
  length: rows.length,
  row: (i) => rows[i],
});
const utc = (...parts: [number, number, number, number?, number?, number?, number?]): Date =>
  new Date(
    Date.UTC(
      parts[0],
      parts[1] - 1,
      parts[2],
      parts[3] ?? 0,
      parts[4] ?? 0,
      parts[5] ?? 0,
      parts[6] ?? 0,
    ),
  );

function typeOf(values: CellValue[]): ColumnType {
  const tracker = new ColumnTypeTracker();
  values.forEach((v) => tracker.observe(v));
  return tracker.type;
}

describe('excelSerialToDate', () => {
  it('converts 1900-system serials in UTC, whatever the local time zone', () => {
    expect(excelSerialToDate(45322, false)).toEqual(utc(2024, 1, 31));
    expect(excelSerialToDate(45322.75, false)).toEqual(utc(2024, 1, 31, 18));
    expect(excelSerialToDate(61, false)).toEqual(utc(1900, 3, 1));
  });

  it("accounts for Excel's fictitious 1900-02-29 before March 1900", () => {
    expect(excelSerialToDate(1, false)).toEqual(utc(1900, 1, 1));
    expect(excelSerialToDate(59, false)).toEqual(utc(1900, 2, 28));
  });

  it('converts 1904-system serials', () => {
    expect(excelSerialToDate(0, true)).toEqual(utc(1904, 1, 1));
    expect(excelSerialToDate(43860, true)).toEqual(utc(2024, 1, 31));
  });

  it('rounds float noise to the millisecond', () => {
    // 12:34:56 stored as a day fraction is not exact in binary.
    const serial = 45322 + (12 * 3600 + 34 * 60 + 56) / 86400;
    expect(excelSerialToDate(serial, false)).toEqual(utc(2024, 1, 31, 12, 34, 56));
  });

  it('refuses serials Excel cannot show as dates', () => {
    expect(excelSerialToDate(-1, false)).toBeNull();
    expect(excelSerialToDate(2958466, false)).toBeNull();
    expect(excelSerialToDate(Number.NaN, false)).toBeNull();
  });
});

describe('cellValue', () => {
  const isDate = (format: string): boolean => /y|d/.test(format);
  const read = (cell: CellObject | undefined, date1904 = false): CellValue =>
    cellValue(cell, date1904, isDate);

  it('keeps numbers, booleans and text', () => {
    expect(read({ t: 'n', v: 3.5, z: '0.00' })).toBe(3.5);
    expect(read({ t: 'b', v: false })).toBe(false);
    expect(read({ t: 's', v: 'x' })).toBe('x');
  });

  it('turns numbers with a date format into dates', () => {
    expect(read({ t: 'n', v: 45322, z: 'yyyy-mm-dd' })).toEqual(utc(2024, 1, 31));
    expect(read({ t: 'n', v: 43860, z: 'yyyy-mm-dd' }, true)).toEqual(utc(2024, 1, 31));
  });

  it('keeps a date-formatted number that is no valid date as a number', () => {
    expect(read({ t: 'n', v: 9e9, z: 'yyyy-mm-dd' })).toBe(9e9);
  });

  it('reads errors, blanks and empty strings as null', () => {
    expect(read(undefined)).toBeNull();
    expect(read({ t: 'e', v: 0x07 })).toBeNull();
    expect(read({ t: 'z' })).toBeNull();
    expect(read({ t: 's', v: '' })).toBeNull();
    expect(read({ t: 'n', v: undefined })).toBeNull();
  });

  it('replaces lone surrogates, which DuckDB cannot read', () => {
    expect(read({ t: 's', v: 'a\ud800b' })).toBe('a\ufffdb');
    expect(read({ t: 's', v: 'emoji \ud83d\ude00' })).toBe('emoji \ud83d\ude00');
  });
});

describe('ColumnTypeTracker', () => {
  it.each<[string, CellValue[], ColumnType]>([
    ['booleans', [true, null, false], 'BOOLEAN'],
    ['integers', [1, -2, null, 3], 'BIGINT'],
    ['integers and fractions', [1, 2.5], 'DOUBLE'],
    ['integers beyond the safe range', [1, 2 ** 53], 'DOUBLE'],
    ['dates', [utc(2024, 1, 1), null, utc(2024, 1, 2, 3)], 'TIMESTAMP'],
    ['text', ['a', 'b'], 'VARCHAR'],
    ['numbers and text', [1, 'n/a'], 'VARCHAR'],
    ['numbers and booleans', [1, true], 'VARCHAR'],
    ['dates and numbers', [utc(2024, 1, 1), 5], 'VARCHAR'],
    ['no value at all', [null, null], 'VARCHAR'],
  ])('%s → %s', (_label, values, expected) => {
    expect(typeOf(values)).toBe(expected);
  });
});

describe('cellText', () => {
  it('writes values as a person reads them', () => {
    expect(cellText(true)).toBe('TRUE');
    expect(cellText(1.25)).toBe('1.25');
    expect(cellText(utc(2024, 1, 31))).toBe('2024-01-31');
    expect(cellText(utc(2024, 1, 31, 8, 5))).toBe('2024-01-31 08:05:00');
    expect(cellText(utc(2024, 1, 31, 8, 5, 0, 250))).toBe('2024-01-31 08:05:00.250');
  });
});

describe('planTable', () => {
  it('takes the first non-empty row as header, skipping blank leading rows and columns', () => {
    const plan = planTable(
      rowsOf([undefined, [null, null], [null, 'id', 'name'], [null, 1, 'a'], [null, 2, 'b']]),
    );
    expect(plan).toEqual({
      headerRow: 2,
      firstColumn: 1,
      header: ['id', 'name'],
      types: ['BIGINT', 'VARCHAR'],
      rowCount: 2,
    });
  });

  it('drops rows with no value anywhere and keeps partly filled ones', () => {
    const plan = planTable(
      rowsOf([['a', 'b'], [1, null], [null, null], undefined, [null, 'x'], [null, null]]),
    );
    expect(plan?.rowCount).toBe(2);
  });

  it('gives columns with data beyond the header a null name, and blank header cells too', () => {
    const plan = planTable(
      rowsOf([
        ['a', '  '],
        [1, 2, true],
      ]),
    );
    expect(plan?.header).toEqual(['a', null, null]);
    expect(plan?.types).toEqual(['BIGINT', 'BIGINT', 'BOOLEAN']);
  });

  it('names header cells that are not text by their text', () => {
    const plan = planTable(rowsOf([[2024, utc(2024, 1, 1), false]]));
    expect(plan?.header).toEqual(['2024', '2024-01-01', 'FALSE']);
  });

  it('accepts a header without data rows', () => {
    expect(planTable(rowsOf([['a', 'b']]))).toMatchObject({
      rowCount: 0,
      types: ['VARCHAR', 'VARCHAR'],
    });
  });

  it('returns null for a sheet without any value', () => {
    expect(planTable(rowsOf([]))).toBeNull();
    expect(planTable(rowsOf([undefined, [null, null]]))).toBeNull();
  });
});

describe('ndjsonLines', () => {
  it('writes data rows in order with positional keys, typed values and no nulls', () => {
    const source = rowsOf([
      ['n', 'when', 'ok', 'mixed'],
      [1, utc(2024, 1, 31, 12), true, 5],
      [null, null, null, null],
      [2, null, false, 'text "quoted"'],
    ]);
    const plan = planTable(source)!;
    expect(plan.types).toEqual(['BIGINT', 'TIMESTAMP', 'BOOLEAN', 'VARCHAR']);
    expect([...ndjsonLines(source, plan)]).toEqual([
      '{"n":0,"c0":1,"c1":"2024-01-31 12:00:00.000","c2":true,"c3":"5"}\n',
      '{"n":1,"c0":2,"c2":false,"c3":"text \\"quoted\\""}\n',
    ]);
  });

  it('shifts columns when the table does not start in column A', () => {
    const source = rowsOf([
      [null, 'a'],
      [null, 1.5],
    ]);
    expect([...ndjsonLines(source, planTable(source)!)]).toEqual(['{"n":0,"c0":1.5}\n']);
  });
});
