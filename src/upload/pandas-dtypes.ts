/** One column of a cached table as DuckDB sees it. */
export interface CachedColumn {
  name: string;
  /** DuckDB type name, e.g. BIGINT, VARCHAR, TIMESTAMP WITH TIME ZONE. */
  duckdbType: string;
  hasNulls: boolean;
}

/**
 * The pandas dtype `transform(df)` will see for a DuckDB column. Mirrors what
 * pandas does itself: integers or booleans with missing values cannot stay
 * int64/bool, so they become float64/object.
 */
export function pandasDtypeFor(column: CachedColumn): string {
  const t = column.duckdbType.toUpperCase();
  if (
    ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER'].includes(t)
  ) {
    return column.hasNulls ? 'float64' : 'int64';
  }
  if (['FLOAT', 'DOUBLE', 'REAL'].includes(t) || t.startsWith('DECIMAL')) return 'float64';
  if (t === 'BOOLEAN') return column.hasNulls ? 'object' : 'bool';
  if (
    t === 'DATE' ||
    t === 'TIMESTAMP' ||
    t === 'TIMESTAMP_NS' ||
    t === 'TIMESTAMP_MS' ||
    t === 'TIMESTAMP_S'
  ) {
    return 'datetime64[ns]';
  }
  if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return 'datetime64[ns, UTC]';
  return 'object';
}
