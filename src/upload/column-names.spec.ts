import { makeUniqueColumnNames } from './column-names';

describe('makeUniqueColumnNames', () => {
  it('keeps good names untouched', () => {
    expect(makeUniqueColumnNames(['id', 'name'])).toEqual({ names: ['id', 'name'], renamed: {} });
  });

  it('numbers repeats and reports them', () => {
    const r = makeUniqueColumnNames(['amount', 'amount', 'amount']);
    expect(r.names).toEqual(['amount', 'amount_2', 'amount_3']);
    expect(r.renamed).toEqual({ amount: 'amount_2', 'amount (column 3)': 'amount_3' });
  });

  it('names empty and missing columns by position', () => {
    const r = makeUniqueColumnNames(['id', '', null, '  ']);
    expect(r.names).toEqual(['id', 'column_2', 'column_3', 'column_4']);
    expect(r.renamed['']).toBe('column_2');
  });

  it('never collides with a real name that looks generated', () => {
    const r = makeUniqueColumnNames(['', 'column_1', 'x_2', 'x', 'x']);
    expect(r.names).toEqual(['column_1_2', 'column_1', 'x_2', 'x', 'x_3']);
    expect(new Set(r.names).size).toBe(5);
  });

  it('treats names that differ only in case as repeats (DuckDB does)', () => {
    const r = makeUniqueColumnNames(['Amount', 'amount', 'AMOUNT_2']);
    expect(r.names).toEqual(['Amount', 'amount_3', 'AMOUNT_2']);
    expect(r.renamed).toEqual({ amount: 'amount_3' });
  });

  it('strips control characters and does not report made-up names of headerless files', () => {
    expect(makeUniqueColumnNames(['a\u0000b\n'], true).names).toEqual(['a b']);
    expect(makeUniqueColumnNames([null, null], false)).toEqual({
      names: ['column_1', 'column_2'],
      renamed: {},
    });
  });
});
