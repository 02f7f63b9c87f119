import { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { columnIdent, quoteIdent } from '../duckdb/duckdb.service';
import { pandasColumn } from '../duckdb/pandas-columns';
import { encodeFrame, FrameColumn } from './frame';

/** A table to send to the sandbox, with the pandas dtypes the upload reported. */
export interface InputTable {
  /** DuckDB table, its columns named c0, c1, ... (see table-ingester.ts). */
  table: string;
  /** Column names and pandas dtypes, in order. */
  columns: string[];
  dtypes: string[];
  rows: number;
}

/** Rows per string_agg slice when joining a text column in DuckDB. */
const TEXT_SLICE_ROWS = 65_536;

interface ColumnPlan {
  name: string;
  /** SQL name of the column in the session table (c0, c1, ...). */
  column: string;
  dtype: string;
  tz?: string;
  kind: FrameColumn['kind'];
  /** SELECT expression giving the column in the shape the kind needs. */
  select: string;
}

/** Nanoseconds since the epoch (pandas' unit); ±infinity has none and becomes missing. */
const nanos = (expr: string): string => `CASE WHEN isfinite(${expr}) THEN epoch_ns(${expr}) END`;

/**
 * How a column travels to the sandbox (see frame.ts), from the pandas dtype
 * the upload reported and the DuckDB type that holds it (see table-ingester.ts).
 */
function planColumn(index: number, name: string, dtype: string, duckdbType: string): ColumnPlan {
  const c = columnIdent(index);
  const type = duckdbType.toUpperCase();
  const plan = (kind: FrameColumn['kind'], select: string): ColumnPlan => ({
    name,
    column: c,
    dtype,
    kind,
    select,
  });
  const value = pandasColumn(index, dtype);
  switch (dtype) {
    case 'int64':
    case 'Int64':
      return plan('i', value);
    case 'uint64':
    case 'UInt64':
      return plan('u', value);
    case 'float64':
      return plan('f', value);
    case 'bool':
      return plan('b', value);
    case 'datetime64[ns]':
      return plan('t', nanos(value));
    case 'timedelta64[ns]':
      // INTERVAL has no exact nanosecond count; microseconds are exact for ±285 years.
      return plan('d', `CAST(round(epoch(${c}) * 1000000) AS BIGINT) * 1000`);
    default:
      if (dtype.startsWith('datetime64[ns, ')) {
        return { ...plan('z', nanos(`CAST(${c} AS TIMESTAMPTZ)`)), tz: dtype.slice(15, -1) };
      }
      // object columns: True/False/NaN, datetime.time values, or text.
      if (type === 'BOOLEAN') return plan('b', c);
      if (type === 'TIME') return plan('T', `epoch_ns(DATE '1970-01-01' + ${c})`);
      return plan('s', `CAST(${c} AS VARCHAR)`);
  }
}

/** Accumulates one fixed-width column's values from DuckDB chunks (text is joined in SQL). */
class ColumnBuilder {
  private readonly valid: Uint8Array;
  private anyMissing = false;
  private readonly values: BigInt64Array | Float64Array | Uint8Array;

  constructor(
    private readonly plan: ColumnPlan,
    rows: number,
  ) {
    this.valid = new Uint8Array(rows);
    const k = plan.kind;
    this.values =
      k === 'f'
        ? new Float64Array(rows)
        : k === 'b'
          ? new Uint8Array(rows)
          : new BigInt64Array(rows);
  }

  add(vector: DuckDBVector, offset: number, count: number): void {
    // One loop per kind keeps each monomorphic (several times faster than a shared one).
    const valid = this.valid;
    switch (this.plan.kind) {
      case 'f': {
        const out = this.values as Float64Array;
        for (let i = 0; i < count; i++) {
          const v = vector.getItem(i) as number | null;
          out[offset + i] = v ?? NaN;
          valid[offset + i] = v === null ? 0 : 1;
        }
        break;
      }
      case 'b': {
        const out = this.values as Uint8Array;
        for (let i = 0; i < count; i++) {
          const v = vector.getItem(i) as boolean | null;
          out[offset + i] = v ? 1 : 0;
          valid[offset + i] = v === null ? 0 : 1;
        }
        break;
      }
      default: {
        const out = this.values as BigInt64Array;
        for (let i = 0; i < count; i++) {
          const v = vector.getItem(i) as bigint | null;
          out[offset + i] = v ?? 0n;
          valid[offset + i] = v === null ? 0 : 1;
        }
      }
    }
    if (!this.anyMissing && valid.subarray(offset, offset + count).includes(0))
      this.anyMissing = true;
  }

  build(): FrameColumn {
    const base = {
      name: this.plan.name,
      dtype: this.plan.dtype,
      ...(this.plan.tz ? { tz: this.plan.tz } : {}),
      valid: this.anyMissing ? this.valid : null,
    };
    switch (this.plan.kind) {
      case 'f':
        return { ...base, kind: 'f', values: this.values as Float64Array };
      case 'b':
        return { ...base, kind: 'b', values: this.values as Uint8Array };
      case 's':
        throw new Error('text columns are joined in SQL');
      default:
        return { ...base, kind: this.plan.kind, values: this.values as BigInt64Array };
    }
  }
}

/**
 * Writes `input`'s rows as an input frame (frame.ts) to `file` (created, mode 0600),
 * reading them through `conn`. Throws if the table's row count differs from `rows`.
 */
export async function writeInputFrame(
  conn: DuckDBConnection,
  input: InputTable,
  file: string,
): Promise<void> {
  const { rows } = input;
  const plans = await planColumns(conn, input);
  const table = quoteIdent(input.table);
  const fixed = plans.filter((p) => p.kind !== 's');
  const builders = new Map(fixed.map((p) => [p, new ColumnBuilder(p, rows)]));
  if (fixed.length > 0) {
    const select = fixed.map((p, i) => `${p.select} AS c${i}`).join(', ');
    // preserve_insertion_order (DuckDB's default) keeps a plain scan in file order.
    const result = await conn.stream(`SELECT ${select} FROM ${table}`);
    let offset = 0;
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      if (offset + chunk.rowCount > rows) throw new Error('the session table grew');
      fixed.forEach((p, i) =>
        builders.get(p)!.add(chunk.getColumnVector(i), offset, chunk.rowCount),
      );
      offset += chunk.rowCount;
    }
    if (offset !== rows) throw new Error('the session table does not match its row count');
  }
  const columns: FrameColumn[] = [];
  for (const plan of plans) {
    columns.push(
      plan.kind === 's' ? await textColumn(conn, table, plan, rows) : builders.get(plan)!.build(),
    );
  }
  const handle = await open(file, 'w', 0o600);
  try {
    for (const part of encodeFrame({ rows, columns })) await handle.write(part);
  } finally {
    await handle.close();
  }
}

/**
 * A text column joined by DuckDB (string_agg, in slices of rows) rather than value by
 * value in JS: reading a million strings one by one costs ~0.8 s, this ~0.15 s.
 */
async function textColumn(
  conn: DuckDBConnection,
  table: string,
  plan: ColumnPlan,
  rows: number,
): Promise<FrameColumn> {
  const c = plan.column;
  const value = `replace(coalesce(${plan.select}, ''), chr(0), chr(65533))`;
  const reader = await conn.runAndReadAll(
    `SELECT rowid // ${TEXT_SLICE_ROWS} AS slice,
            string_agg(${value}, chr(0) ORDER BY rowid) AS text,
            string_agg(CASE WHEN ${c} IS NULL THEN '0' ELSE '1' END, '' ORDER BY rowid) AS present
     FROM ${table} GROUP BY slice ORDER BY slice`,
  );
  const slices = reader.getRows();
  const present = slices.map((r) => String(r[2] ?? '')).join('');
  if (present.length !== rows) throw new Error('the session table does not match its row count');
  let valid: Uint8Array | null = null;
  if (present.includes('0')) {
    valid = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) valid[i] = present.charCodeAt(i) === 0x31 ? 1 : 0;
  }
  const text = Buffer.from(slices.map((r) => String(r[1] ?? '')).join('\u0000'), 'utf8');
  return { name: plan.name, dtype: plan.dtype, kind: 's', text, valid };
}

async function planColumns(conn: DuckDBConnection, input: InputTable): Promise<ColumnPlan[]> {
  const types = (
    await conn.runAndReadAll(`SELECT column_type FROM (DESCRIBE ${quoteIdent(input.table)})`)
  ).getRows();
  return input.columns.map((name, i) =>
    planColumn(i, name, input.dtypes[i], String(types[i]?.[0])),
  );
}
