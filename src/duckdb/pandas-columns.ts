import { columnIdent } from './duckdb.service';

/**
 * The SQL expression that reads column `index` of a cached table as the DuckDB type of
 * its pandas dtype. Storage may be narrower than the dtype says (an int64 column read
 * as DOUBLE holds integers within ±2^53, a datetime64[ns] one may be a DATE; see
 * upload/table-ingester.ts), so every reader (rows, profile, sandbox input) goes
 * through here and sees the same values with the same types.
 */
export function pandasColumn(index: number, dtype: string): string {
  const c = columnIdent(index);
  switch (dtype) {
    case 'int64':
    case 'Int64':
      return `CAST(${c} AS BIGINT)`;
    case 'uint64':
    case 'UInt64':
      return `CAST(${c} AS UBIGINT)`;
    case 'float64':
      return `CAST(${c} AS DOUBLE)`;
    case 'datetime64[ns]':
      return `CAST(${c} AS TIMESTAMP_NS)`;
    default:
      return c;
  }
}
