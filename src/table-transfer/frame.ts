import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';

/**
 * The frame: the column encoding between the server and the sandbox, used both ways
 * (the input file and the job's output). This is its one description. Chosen by
 * measurement: pandas builds a 1M-row frame from it in ~0.2 s, against ~1.5 s for
 * `read_csv`, and it needs no pyarrow (Debian's python3 has none).
 *
 * The data path, all in src/table-transfer/ (execution only says which table and file):
 *   session table (DuckDB) --input-frame.ts--> input file --python/frame_io.py--> df
 *   transform's DataFrame --frame_io.py--> result frame --decodeFrame--> DecodedFrame
 *   DecodedFrame --frame-parquet.ts, parquet-writer.ts--> Parquet file --> DuckDB view
 * golden/ holds a frame of each direction that both languages read (golden-bytes.spec.ts).
 *
 * A frame is one JSON header line, then each column's bytes in header order:
 *   header  {"rows": n, "columns": [{"name", "kind", "nulls", "size", "dtype"?, "tz"?}]}
 *   column  [validity: n bytes, 1 = present; only when "nulls"] [data: "size" bytes]
 * Kinds, little-endian:
 *   i int64; u uint64; f float64 (NaN = missing); b one byte 0/1;
 *   t datetime64[ns]: int64 ns since the epoch; z the same for a zone-aware column,
 *     counted in UTC, with "tz" the zone (IANA name, or a fixed offset such as +01:00);
 *   d timedelta64[ns]: int64 ns; T time of day (datetime.time): int64 ns since midnight;
 *   s UTF-8 text, the n values separated by NUL.
 * "dtype" is the pandas dtype of the column: in input frames the one the runner must
 * give it (object for b means True/False/NaN, Int64 for i means nullable integers);
 * in output frames the one `transform` returned.
 * Output frames only: "as": "date" on an s column says its values are ISO dates
 * (Python datetime.date objects); the header's "warnings" lists plain sentences about
 * values the runner had to send differently (objects as text, ...).
 */

/** Folder of frame_io.py, the format's Python side (copied into each sandbox's runner folder). */
export const FRAME_IO_PYTHON_DIR = join(__dirname, 'python');

/** Fixed-width kinds, held as the int64 bits (a 'u' column's bits are uint64). */
export type FixedKind = 'i' | 'u' | 't' | 'z' | 'd' | 'T';
export type ColumnKind = FixedKind | 'f' | 'b' | 's';

interface ColumnBase {
  name: string;
  /** One byte per row, 0 = missing; null when nothing is missing. */
  valid: Uint8Array | null;
  /** pandas dtype (see the format above). */
  dtype?: string;
  /** Zone of a 'z' column. */
  tz?: string;
  /** 'date': an 's' column of ISO dates (output frames). */
  as?: 'date';
}
/** Text as UTF-8 bytes, values separated by NUL (none inside a value). */
type TextBytes = ColumnBase & { kind: 's'; text: Buffer };

export type FrameColumn =
  | (ColumnBase & { kind: FixedKind; values: BigInt64Array })
  | (ColumnBase & { kind: 'f'; values: Float64Array })
  | (ColumnBase & { kind: 'b'; values: Uint8Array })
  | (ColumnBase & { kind: 's'; values: string[] })
  | TextBytes;

export interface Frame {
  rows: number;
  columns: FrameColumn[];
}

/**
 * A column as decoded from the sandbox: text stays UTF-8 bytes, NUL-separated, since
 * turning a million values into JS strings only to write them out again costs more
 * than everything else together.
 */
export type DecodedColumn = Exclude<FrameColumn, { kind: 's' }> | TextBytes;

export interface DecodedFrame {
  rows: number;
  columns: DecodedColumn[];
  /** The runner's sentences about values it sent differently (bounded, see decodeFrame). */
  warnings: string[];
}

export interface FrameLimits {
  maxRows: number;
  maxColumns: number;
}

/** The sandbox sent something that is not a frame; the message says what. */
export class MalformedFrame extends Error {}

const KINDS: readonly ColumnKind[] = ['i', 'u', 'f', 'b', 't', 'z', 'd', 'T', 's'];
const WIDTH: Record<Exclude<ColumnKind, 's'>, number> = {
  i: 8,
  u: 8,
  f: 8,
  b: 1,
  t: 8,
  z: 8,
  d: 8,
  T: 8,
};
const SEPARATOR = '\u0000';
/** Bounds on what an untrusted header may add besides the data. */
const DTYPE_MAX_CHARS = 200;
const TZ_MAX_CHARS = 100;
const WARNINGS_MAX = 100;
const WARNING_MAX_CHARS = 1000;

function dataBytes(column: FrameColumn): Buffer {
  if (column.kind === 's' && 'text' in column) return column.text;
  if (column.kind === 's') {
    // NUL separates values, so a NUL inside one is replaced (rare in real data).
    const joined = column.values.map((v) =>
      v.includes(SEPARATOR) ? v.replaceAll(SEPARATOR, '\ufffd') : v,
    );
    return Buffer.from(joined.join(SEPARATOR), 'utf8');
  }
  const v = column.values;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Header line and column parts, ready to be written one after the other. */
export function encodeFrame(frame: Frame): Buffer[] {
  const parts: Buffer[] = [];
  const columns = frame.columns.map((column) => {
    const data = dataBytes(column);
    if (column.valid)
      parts.push(
        Buffer.from(column.valid.buffer, column.valid.byteOffset, column.valid.byteLength),
      );
    parts.push(data);
    return {
      name: column.name,
      kind: column.kind,
      nulls: column.valid !== null,
      size: data.length,
      ...(column.dtype ? { dtype: column.dtype } : {}),
      ...(column.tz ? { tz: column.tz } : {}),
      ...(column.as ? { as: column.as } : {}),
    };
  });
  return [Buffer.from(`${JSON.stringify({ rows: frame.rows, columns })}\n`, 'utf8'), ...parts];
}

interface HeaderColumn {
  name: string;
  kind: ColumnKind;
  nulls: boolean;
  size: number;
  dtype?: string;
  tz?: string;
  as?: 'date';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readHeaderColumn(raw: unknown, index: number, rows: number): HeaderColumn {
  if (!isRecord(raw)) throw new MalformedFrame(`column ${index} is not described`);
  const { name, kind, nulls, size, dtype, tz } = raw;
  if (typeof name !== 'string') throw new MalformedFrame(`column ${index} has no name`);
  if (typeof kind !== 'string' || !KINDS.includes(kind as ColumnKind)) {
    throw new MalformedFrame(`column ${index} has an unknown kind`);
  }
  if (typeof nulls !== 'boolean') throw new MalformedFrame(`column ${index} has no null flag`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new MalformedFrame(`column ${index} has an invalid size`);
  }
  if (kind !== 's' && size !== rows * WIDTH[kind as Exclude<ColumnKind, 's'>]) {
    throw new MalformedFrame(`column ${index} has ${size} bytes for ${rows} rows`);
  }
  if (dtype !== undefined && (typeof dtype !== 'string' || dtype.length > DTYPE_MAX_CHARS)) {
    throw new MalformedFrame(`column ${index} has an invalid dtype`);
  }
  if (tz !== undefined && (typeof tz !== 'string' || tz.length > TZ_MAX_CHARS)) {
    throw new MalformedFrame(`column ${index} has an invalid time zone`);
  }
  return {
    name,
    kind: kind as ColumnKind,
    nulls,
    size,
    ...(dtype !== undefined ? { dtype } : {}),
    ...(kind === 'z' && tz !== undefined ? { tz } : {}),
    ...(kind === 's' && raw.as === 'date' ? { as: 'date' as const } : {}),
  };
}

/** The header's warnings: strings only, bounded in number and length. */
function readWarnings(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((w): w is string => typeof w === 'string' && w.length > 0)
    .slice(0, WARNINGS_MAX)
    .map((w) => w.slice(0, WARNING_MAX_CHARS));
}

/** Copies into a fresh, aligned buffer: the body's offsets follow a text header. */
function copyAligned(body: Buffer, offset: number, length: number): ArrayBuffer {
  const out = new ArrayBuffer(length);
  new Uint8Array(out).set(body.subarray(offset, offset + length));
  return out;
}

function countSeparators(text: Buffer): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text[i] === 0) count++;
  return count;
}

function decodeColumn(
  h: HeaderColumn,
  valid: Uint8Array | null,
  body: Buffer,
  offset: number,
  rows: number,
): DecodedColumn {
  const base = {
    name: h.name,
    valid,
    ...(h.dtype !== undefined ? { dtype: h.dtype } : {}),
    ...(h.tz !== undefined ? { tz: h.tz } : {}),
    ...(h.as !== undefined ? { as: h.as } : {}),
  };
  switch (h.kind) {
    case 'i':
    case 'u':
    case 'd':
    case 'T':
    case 't':
    case 'z':
      return {
        ...base,
        kind: h.kind,
        values: new BigInt64Array(copyAligned(body, offset, h.size)),
      };
    case 'f':
      return { ...base, kind: 'f', values: new Float64Array(copyAligned(body, offset, h.size)) };
    case 'b':
      return { ...base, kind: 'b', values: new Uint8Array(copyAligned(body, offset, h.size)) };
    case 's': {
      let text = body.subarray(offset, offset + h.size);
      const values = rows === 0 ? 0 : countSeparators(text) + 1;
      if (values !== rows || (rows === 0 && h.size !== 0)) {
        throw new MalformedFrame(`text column '${h.name}' has ${values} values for ${rows} rows`);
      }
      // Invalid UTF-8 becomes U+FFFD, which never creates or removes a separator.
      if (!isUtf8(text)) text = Buffer.from(text.toString('utf8'), 'utf8');
      return { ...base, kind: 's', text };
    }
  }
}

/**
 * Validates and decodes a frame produced by untrusted code: every count, size and
 * kind is checked against the header and the limits before anything is used.
 */
export function decodeFrame(header: unknown, body: Buffer, limits: FrameLimits): DecodedFrame {
  if (!isRecord(header)) throw new MalformedFrame('the header is not an object');
  const { rows, columns } = header;
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0) {
    throw new MalformedFrame('the row count is invalid');
  }
  if (rows > limits.maxRows)
    throw new MalformedFrame(`${rows} rows exceed the limit of ${limits.maxRows}`);
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > limits.maxColumns) {
    throw new MalformedFrame(`a frame needs 1 to ${limits.maxColumns} columns`);
  }
  const described = columns.map((c, i) => readHeaderColumn(c, i, rows));
  const expected = described.reduce((sum, c) => sum + (c.nulls ? rows : 0) + c.size, 0);
  if (expected !== body.length) {
    throw new MalformedFrame(`the header describes ${expected} bytes but ${body.length} arrived`);
  }
  let offset = 0;
  return {
    rows,
    warnings: readWarnings(header.warnings),
    columns: described.map((h) => {
      let valid: Uint8Array | null = null;
      if (h.nulls) {
        valid = new Uint8Array(copyAligned(body, offset, rows));
        offset += rows;
      }
      const column = decodeColumn(h, valid, body, offset, rows);
      offset += h.size;
      return column;
    }),
  };
}
