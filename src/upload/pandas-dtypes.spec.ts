import { pandasDtypeFor } from './pandas-dtypes';

describe('pandasDtypeFor', () => {
  it.each([
    ['BIGINT', false, 'int64'],
    ['BIGINT', true, 'float64'],
    ['DOUBLE', true, 'float64'],
    ['DECIMAL(10,2)', false, 'float64'],
    ['BOOLEAN', false, 'bool'],
    ['BOOLEAN', true, 'object'],
    ['DATE', false, 'datetime64[ns]'],
    ['TIMESTAMP', true, 'datetime64[ns]'],
    ['TIMESTAMP WITH TIME ZONE', false, 'datetime64[ns, UTC]'],
    ['VARCHAR', false, 'object'],
    ['TIME', false, 'object'],
    ['HUGEINT', false, 'object'],
  ])('%s (nulls: %s) -> %s', (duckdbType, hasNulls, expected) => {
    expect(pandasDtypeFor({ name: 'c', duckdbType, hasNulls })).toBe(expected);
  });
});
