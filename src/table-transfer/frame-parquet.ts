import { DecodedColumn, DecodedFrame } from './frame';
import { ParquetColumn, writeParquet } from './parquet-writer';

/** Present unless the frame says missing, or the value itself means missing (NaN). */
function withoutNaN(
  values: Float64Array,
  valid: Uint8Array | null,
  rows: number,
): Uint8Array | null {
  let out: Uint8Array | null = valid;
  for (let i = 0; i < rows; i++) {
    if (values[i] !== values[i] && (valid === null || valid[i] !== 0)) {
      out ??= new Uint8Array(rows).fill(1);
      out[i] = 0;
    }
  }
  return out;
}

/** A decoded column as a Parquet column named `name`, its values copied as they are. */
function toParquet(column: DecodedColumn, name: string, rows: number): ParquetColumn {
  switch (column.kind) {
    case 'f':
      return {
        name,
        type: 'double',
        values: column.values,
        valid: withoutNaN(column.values, column.valid, rows),
      };
    case 'b':
      return { name, type: 'boolean', values: column.values, valid: column.valid };
    case 's':
      return { name, type: 'utf8', text: column.text, valid: column.valid };
    case 'u':
      return { name, type: 'uint64', values: column.values, valid: column.valid };
    default:
      return { name, type: 'int64', values: column.values, valid: column.valid };
  }
}

/**
 * A decoded output frame as the parts of one Parquet file (parquet-writer.ts), column
 * `i` named `nameOf(i)`; long text values are the frame's own bytes, not copies.
 */
export function frameToParquet(frame: DecodedFrame, nameOf: (index: number) => string): Buffer[] {
  return writeParquet(
    frame.columns.map((c, i) => toParquet(c, nameOf(i), frame.rows)),
    frame.rows,
  );
}
