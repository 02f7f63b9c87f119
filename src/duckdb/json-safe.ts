import { DuckDBTypeId } from '@duckdb/node-api';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Post-processes DuckDB's `*Json` readers into what the app expects: integers as
 * numbers when exact, NaN/Infinity as null, timestamps in ISO 8601 with a `T`.
 */
export function jsonSafeValue(typeId: DuckDBTypeId, value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : asText(value);
    }
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE: {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? n : null;
    }
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const s = asText(value);
      if (s === 'infinity' || s === '-infinity') return null;
      return s.replace(' ', 'T');
    }
    default:
      return value as JsonValue;
  }
}
