/**
 * A minimal Parquet writer: one row group, one PLAIN data page per column, no
 * compression, flat schema. It exists because DuckDB reads Parquet at memory speed
 * while row-by-row appends cost ~0.3 s per 1M strings: the sandbox's columns are
 * copied into pages almost as they are (fixed-width values verbatim, text with a
 * length prefix), and `read_parquet` does the rest.
 *
 * Format: https://github.com/apache/parquet-format (Thrift compact protocol metadata).
 */

export type ParquetColumn =
  | {
      name: string;
      /** uint64: the bits of unsigned integers, read by DuckDB as UBIGINT. */
      type: 'int64' | 'uint64' | 'double';
      values: BigInt64Array | Float64Array;
      valid: Uint8Array | null;
    }
  | { name: string; type: 'boolean'; values: Uint8Array; valid: Uint8Array | null }
  /** UTF-8 text, values separated by NUL (the frame's encoding). */
  | { name: string; type: 'utf8'; text: Buffer; valid: Uint8Array | null };

/** Rows per row group: DuckDB scans row groups in parallel. */
const ROW_GROUP_ROWS = 122_880;

const enum CType {
  True = 1,
  False = 2,
  Byte = 3,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}
const PHYSICAL = { boolean: 0, int64: 2, uint64: 2, double: 5, utf8: 6 } as const;
const REQUIRED = 0;
const OPTIONAL = 1;
const CONVERTED_UTF8 = 0;
const CONVERTED_UINT_64 = 14;
const LOGICAL_INTEGER = 10;
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;
const PAGE_DATA = 0;
const MAGIC = Buffer.from('PAR1');

/** Thrift compact protocol, just the parts Parquet metadata needs. */
class Compact {
  private readonly bytes: number[] = [];
  private last: number[] = [0];

  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  private varint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  private zigzag(value: number | bigint): void {
    const v = BigInt(value);
    this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }

  private header(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }

  i32(id: number, value: number): this {
    this.header(id, CType.I32);
    this.zigzag(value);
    return this;
  }

  i64(id: number, value: number | bigint): this {
    this.header(id, CType.I64);
    this.zigzag(value);
    return this;
  }

  byte(id: number, value: number): this {
    this.header(id, CType.Byte);
    this.bytes.push(value & 0xff);
    return this;
  }

  bool(id: number, value: boolean): this {
    this.header(id, value ? CType.True : CType.False);
    return this;
  }

  string(id: number, value: string): this {
    this.header(id, CType.Binary);
    const data = Buffer.from(value, 'utf8');
    this.varint(BigInt(data.length));
    for (const b of data) this.bytes.push(b);
    return this;
  }

  struct(id: number, body: (w: this) => void): this {
    this.header(id, CType.Struct);
    this.nested(body);
    return this;
  }

  private nested(body: (w: this) => void): void {
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
  }

  private listHeader(id: number, size: number, type: number): void {
    this.header(id, CType.List);
    if (size < 15) this.bytes.push((size << 4) | type);
    else {
      this.bytes.push(0xf0 | type);
      this.varint(BigInt(size));
    }
  }

  structs<T>(id: number, items: T[], body: (w: this, item: T) => void): this {
    this.listHeader(id, items.length, CType.Struct);
    for (const item of items) this.nested((w) => body(w, item));
    return this;
  }

  i32s(id: number, items: number[]): this {
    this.listHeader(id, items.length, CType.I32);
    for (const item of items) this.zigzag(item);
    return this;
  }

  strings(id: number, items: string[]): this {
    this.listHeader(id, items.length, CType.Binary);
    for (const item of items) {
      const data = Buffer.from(item, 'utf8');
      this.varint(BigInt(data.length));
      for (const b of data) this.bytes.push(b);
    }
    return this;
  }

  /** A top-level struct (a page header, the file metadata). */
  static message(body: (w: Compact) => void): Buffer {
    const w = new Compact();
    body(w);
    w.bytes.push(0);
    return w.buffer();
  }
}

/** Definition levels, 1 bit each, as one bit-packed run of the RLE/bit-packing hybrid. */
function definitionLevels(valid: Uint8Array, rows: number): Buffer {
  const groups = Math.ceil(rows / 8);
  const header: number[] = [];
  let h = BigInt(groups) * 2n + 1n;
  while (h >= 0x80n) {
    header.push(Number(h & 0x7fn) | 0x80);
    h >>= 7n;
  }
  header.push(Number(h));
  const out = Buffer.alloc(4 + header.length + groups);
  out.writeUInt32LE(header.length + groups, 0);
  Buffer.from(header).copy(out, 4);
  packBits(valid, rows, out, 4 + header.length);
  return out;
}

/** LSB-first bit packing of 0/1 bytes. */
function packBits(flags: Uint8Array, count: number, out: Uint8Array, offset: number): void {
  for (let i = 0; i < count; i++) if (flags[i]) out[offset + (i >> 3)] |= 1 << (i & 7);
}

function fixedValues(
  values: BigInt64Array | Float64Array,
  valid: Uint8Array | null,
  rows: number,
): Buffer {
  if (!valid) return Buffer.from(values.buffer, values.byteOffset, rows * 8);
  // PLAIN pages hold present values only.
  const kept = values instanceof Float64Array ? new Float64Array(rows) : new BigInt64Array(rows);
  let n = 0;
  for (let i = 0; i < rows; i++) if (valid[i]) kept[n++] = values[i];
  return Buffer.from(kept.buffer, 0, n * 8);
}

function booleanValues(values: Uint8Array, valid: Uint8Array | null, rows: number): Buffer {
  let flags = values;
  let count = rows;
  if (valid) {
    flags = new Uint8Array(rows);
    count = 0;
    for (let i = 0; i < rows; i++) if (valid[i]) flags[count++] = values[i];
  }
  const out = Buffer.alloc(Math.ceil(count / 8));
  packBits(flags, count, out, 0);
  return out;
}

/** Values at least this long are not copied: the page refers to the frame's bytes. */
const LONG_VALUE_BYTES = 64 * 1024;
/** Room for the copied (short) values, allocated as needed. */
const SCRATCH_BYTES = 1024 * 1024;

/**
 * NUL-separated text to PLAIN BYTE_ARRAY values (4-byte length, then the bytes) for the
 * present rows, in one pass, as the pieces of each row group. Short values are copied
 * into scratch buffers in a tight loop over bytes (per-value native calls cost more for
 * short strings); long ones stay where they are, so a huge cell is never copied.
 */
function textValues(text: Buffer, valid: Uint8Array | null, rows: number): Buffer[][] {
  const groups: Buffer[][] = [];
  let pieces: Buffer[] = [];
  let out = Buffer.allocUnsafe(0);
  let start = 0;
  let write = 0;
  const flush = (): void => {
    if (write > start) pieces.push(out.subarray(start, write));
    start = write;
  };
  const room = (bytes: number): void => {
    flush();
    out = Buffer.allocUnsafe(Math.max(SCRATCH_BYTES, bytes));
    start = 0;
    write = 0;
  };
  const length = text.length;
  let i = 0;
  for (let row = 0; row < rows; row++) {
    if (row % ROW_GROUP_ROWS === 0 && row > 0) {
      flush();
      groups.push(pieces);
      pieces = [];
    }
    let end = i;
    const near = Math.min(length, i + LONG_VALUE_BYTES);
    while (end < near && text[end] !== 0) end++;
    if (end === near && near < length) {
      const next = text.indexOf(0, end);
      end = next < 0 ? length : next;
    }
    if (valid === null || valid[row] !== 0) {
      const size = end - i;
      const need = size >= LONG_VALUE_BYTES ? 4 : 4 + size;
      if (out.length - write < need) room(need);
      out[write] = size & 0xff;
      out[write + 1] = (size >>> 8) & 0xff;
      out[write + 2] = (size >>> 16) & 0xff;
      out[write + 3] = size >>> 24;
      write += 4;
      if (size >= LONG_VALUE_BYTES) {
        flush();
        pieces.push(text.subarray(i, end));
      } else for (let k = i; k < end; k++) out[write++] = text[k];
    }
    i = end + 1;
  }
  flush();
  groups.push(pieces);
  return groups;
}

/** A column's bytes for the rows [from, from + rows): levels and PLAIN values. */
function columnValues(
  column: ParquetColumn,
  from: number,
  rows: number,
  text: Buffer[] | null,
): Buffer[] {
  const valid = column.valid ? column.valid.subarray(from, from + rows) : null;
  let values: Buffer[];
  if (text) values = text;
  else if (column.type === 'boolean')
    values = [booleanValues(column.values.subarray(from, from + rows), valid, rows)];
  else if (column.type === 'utf8') throw new Error('text columns are encoded whole');
  else values = [fixedValues(column.values.subarray(from, from + rows), valid, rows)];
  return [valid ? definitionLevels(valid, rows) : Buffer.alloc(0), ...values];
}

function pageHeader(size: number, rows: number): Buffer {
  return Compact.message((w) =>
    w
      .i32(1, PAGE_DATA)
      .i32(2, size)
      .i32(3, size)
      .struct(5, (d) =>
        d.i32(1, rows).i32(2, ENCODING_PLAIN).i32(3, ENCODING_RLE).i32(4, ENCODING_RLE),
      ),
  );
}

function schemaElement(w: Compact, column: ParquetColumn): void {
  w.i32(1, PHYSICAL[column.type])
    .i32(3, column.valid ? OPTIONAL : REQUIRED)
    .string(4, column.name);
  if (column.type === 'utf8') w.i32(6, CONVERTED_UTF8);
  if (column.type === 'uint64') {
    w.i32(6, CONVERTED_UINT_64).struct(10, (logical) =>
      logical.struct(LOGICAL_INTEGER, (int) => int.byte(1, 64).bool(2, false)),
    );
  }
}

interface Chunk {
  column: ParquetColumn;
  offset: number;
  size: number;
}

/** The whole file as a list of buffers, to be written in order. */
export function writeParquet(columns: ParquetColumn[], rows: number): Buffer[] {
  const parts: Buffer[] = [MAGIC];
  let offset = MAGIC.length;
  const texts = columns.map((c) => (c.type === 'utf8' ? textValues(c.text, c.valid, rows) : null));
  const groups: { rows: number; chunks: Chunk[]; bytes: number }[] = [];
  for (let g = 0, from = 0; from < rows; g++, from += ROW_GROUP_ROWS) {
    const count = Math.min(ROW_GROUP_ROWS, rows - from);
    const chunks = columns.map((column, c) => {
      const text = texts[c];
      const body = columnValues(column, from, count, text ? text[g] : null);
      const size = body.reduce((sum, b) => sum + b.length, 0);
      const header = pageHeader(size, count);
      parts.push(header, ...body);
      const chunk = { column, offset, size: header.length + size };
      offset += chunk.size;
      return chunk;
    });
    groups.push({ rows: count, chunks, bytes: chunks.reduce((sum, c) => sum + c.size, 0) });
  }
  const metadata = Compact.message((w) =>
    w
      .i32(1, 1)
      .structs(2, [null, ...columns], (s, column) => {
        if (column === null) s.string(4, 'schema').i32(5, columns.length);
        else schemaElement(s, column);
      })
      .i64(3, rows)
      .structs(4, groups, (g, group) =>
        g
          .structs(1, group.chunks, (c, { column, offset: at, size }) =>
            c
              .i64(2, at)
              .struct(3, (m) =>
                m
                  .i32(1, PHYSICAL[column.type])
                  .i32s(2, [ENCODING_PLAIN, ENCODING_RLE])
                  .strings(3, [column.name])
                  .i32(4, 0)
                  .i64(5, group.rows)
                  .i64(6, size)
                  .i64(7, size)
                  .i64(9, at),
              ),
          )
          .i64(2, group.bytes)
          .i64(3, group.rows),
      ),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(metadata.length, 0);
  parts.push(metadata, length, MAGIC);
  return parts;
}
