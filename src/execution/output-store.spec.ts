import { safeColumnNames } from './output-store.service';

describe('safeColumnNames (output column names are untrusted)', () => {
  it('keeps ordinary names exactly', () => {
    expect(safeColumnNames(['region', ' total ', 'Ünïcode', 'a"b'])).toEqual([
      'region',
      ' total ',
      'Ünïcode',
      'a"b',
    ]);
  });

  it('names empty columns, replaces control characters and bounds the length', () => {
    const names = safeColumnNames(['', 'a\u0000b\nc', 'x'.repeat(1000)]);
    expect(names[0]).toBe('column_1');
    expect(names[1]).toBe('a_b_c');
    expect(names[2]).toHaveLength(255);
  });

  it('makes duplicates unique, case-insensitively as DuckDB compares them', () => {
    expect(safeColumnNames(['a', 'A', 'a', 'a_2', 'B', 'b'])).toEqual([
      'a',
      'A_2',
      'a_3',
      'a_2_2',
      'B',
      'b_2',
    ]);
  });
});
