/**
 * Rewrites the footer of a Parquet file DuckDB wrote: column names (DuckDB cannot write
 * names that differ only by case, nor an empty one) and INT64 columns' logical types
 * (nanosecond timestamps, zoned or not, and times, which DuckDB's own types cannot hold
 * over pandas' whole range). The data pages stay where they are: the new file is the old
 * one up to its footer, then the new footer.
 *
 * Footer format: FileMetaData in the Thrift compact protocol
 * (https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift).
 */
import { open } from 'node:fs/promises';
import { ParquetLogical } from '../execution/output-columns';

/** Thrift compact type codes. */
const T = {
  True: 1,
  False: 2,
  Byte: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  Double: 7,
  Binary: 8,
  List: 9,
  Set: 10,
  Map: 11,
  Struct: 12,
} as const;

interface Field {
  id: number;
  type: number;
  value: Value;
}
type Value = bigint | boolean | Buffer | Field[] | ListValue | MapValue;
interface ListValue {
  elementType: number;
  items: Value[];
}
interface MapValue {
  keyType: number;
  valueType: number;
  entries: [Value, Value][];
}

class Reader {
  pos = 0;
  constructor(private readonly bytes: Buffer) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('the Parquet footer is truncated');
    return this.bytes[this.pos++];
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('the Parquet footer has a malformed integer');
    }
  }

  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }

  value(type: number): Value {
    switch (type) {
      case T.True:
        return true;
      case T.False:
        return false;
      case T.Byte:
        return BigInt(this.byte());
      case T.I16:
      case T.I32:
      case T.I64:
        return this.zigzag();
      case T.Double: {
        const out = this.bytes.subarray(this.pos, this.pos + 8);
        this.pos += 8;
        return Buffer.from(out);
      }
      case T.Binary: {
        const length = Number(this.varint());
        if (this.pos + length > this.bytes.length)
          throw new Error('the Parquet footer is truncated');
        const out = Buffer.from(this.bytes.subarray(this.pos, this.pos + length));
        this.pos += length;
        return out;
      }
      case T.List:
      case T.Set: {
        const head = this.byte();
        const size = head >> 4 === 0x0f ? Number(this.varint()) : head >> 4;
        const elementType = head & 0x0f;
        const items: Value[] = [];
        for (let i = 0; i < size; i++)
          items.push(
            elementType === T.True || elementType === T.False
              ? this.byte() === T.True
              : this.value(elementType),
          );
        return { elementType, items };
      }
      case T.Map: {
        const size = Number(this.varint());
        if (size === 0) return { keyType: 0, valueType: 0, entries: [] };
        const types = this.byte();
        const keyType = types >> 4;
        const valueType = types & 0x0f;
        const entries: [Value, Value][] = [];
        for (let i = 0; i < size; i++) entries.push([this.value(keyType), this.value(valueType)]);
        return { keyType, valueType, entries };
      }
      case T.Struct:
        return this.struct();
      default:
        throw new Error(`the Parquet footer has an unknown Thrift type ${type}`);
    }
  }

  struct(): Field[] {
    const fields: Field[] = [];
    let last = 0;
    for (;;) {
      const head = this.byte();
      if (head === 0) return fields;
      const type = head & 0x0f;
      const delta = head >> 4;
      const id = delta === 0 ? Number(this.zigzag()) : last + delta;
      last = id;
      fields.push({ id, type, value: this.value(type) });
    }
  }
}

class Writer {
  private readonly bytes: number[] = [];

  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  varint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  zigzag(value: bigint): void {
    this.varint(value >= 0n ? value << 1n : (-value << 1n) - 1n);
  }

  value(type: number, value: Value): void {
    switch (type) {
      case T.True:
      case T.False:
        return;
      case T.Byte:
        this.bytes.push(Number(value) & 0xff);
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.zigzag(value as bigint);
        return;
      case T.Double:
        for (const b of value as Buffer) this.bytes.push(b);
        return;
      case T.Binary: {
        const data = value as Buffer;
        this.varint(BigInt(data.length));
        for (const b of data) this.bytes.push(b);
        return;
      }
      case T.List:
      case T.Set: {
        const { elementType, items } = value as ListValue;
        if (items.length < 15) this.bytes.push((items.length << 4) | elementType);
        else {
          this.bytes.push(0xf0 | elementType);
          this.varint(BigInt(items.length));
        }
        for (const item of items) {
          if (elementType === T.True || elementType === T.False)
            this.bytes.push(item ? T.True : T.False);
          else this.value(elementType, item);
        }
        return;
      }
      case T.Map: {
        const { keyType, valueType, entries } = value as MapValue;
        this.varint(BigInt(entries.length));
        if (entries.length === 0) return;
        this.bytes.push((keyType << 4) | valueType);
        for (const [k, v] of entries) {
          this.value(keyType, k);
          this.value(valueType, v);
        }
        return;
      }
      case T.Struct:
        this.struct(value as Field[]);
        return;
    }
  }

  struct(fields: Field[]): void {
    let last = 0;
    for (const field of [...fields].sort((a, b) => a.id - b.id)) {
      const type = field.type;
      const delta = field.id - last;
      if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
      else {
        this.bytes.push(type);
        this.zigzag(BigInt(field.id));
      }
      last = field.id;
      this.value(type, field.value);
    }
    this.bytes.push(0);
  }
}

const field = (fields: Field[], id: number): Field | undefined => fields.find((f) => f.id === id);

function setField(fields: Field[], id: number, type: number, value: Value): void {
  const at = fields.findIndex((f) => f.id === id);
  if (at >= 0) fields[at] = { id, type, value };
  else fields.push({ id, type, value });
}

const unit = (id: number): Field[] => [{ id, type: T.Struct, value: [] }];
const NANOS = 3;

/** LogicalType union for a column the footer must retype; SchemaElement field 10. */
function logicalType(logical: ParquetLogical): Field[] {
  const adjusted = logical === 'timestamp-ns-utc';
  const which = logical === 'time-ns' ? 7 : 8;
  return [
    {
      id: which,
      type: T.Struct,
      value: [
        { id: 1, type: adjusted ? T.True : T.False, value: adjusted },
        { id: 2, type: T.Struct, value: unit(NANOS) },
      ],
    },
  ];
}

/** What to change: the names of the columns in order, and logical types by position. */
export interface FooterChanges {
  names: string[];
  logical: (ParquetLogical | undefined)[];
}

/** A FileMetaData with its leaf columns renamed and retyped (flat schemas only). */
export function rewriteFooter(footer: Buffer, changes: FooterChanges): Buffer {
  const meta = new Reader(footer).struct();
  const schema = field(meta, 2)?.value as ListValue | undefined;
  if (!schema || schema.items.length !== changes.names.length + 1) {
    throw new Error('the Parquet file does not have the expected columns');
  }
  schema.items.slice(1).forEach((item, i) => {
    const element = item as Field[];
    setField(element, 4, T.Binary, Buffer.from(changes.names[i], 'utf8'));
    const logical = changes.logical[i];
    if (logical) {
      // No converted type exists for nanoseconds: the logical type alone says it.
      const at = element.findIndex((f) => f.id === 6);
      if (at >= 0) element.splice(at, 1);
      setField(element, 10, T.Struct, logicalType(logical));
    }
  });
  const groups = (field(meta, 4)?.value as ListValue | undefined)?.items ?? [];
  for (const group of groups) {
    const chunks = (field(group as Field[], 1)?.value as ListValue | undefined)?.items ?? [];
    chunks.forEach((chunk, i) => {
      const metadata = field(chunk as Field[], 3)?.value as Field[] | undefined;
      if (metadata)
        setField(metadata, 3, T.List, {
          elementType: T.Binary,
          items: [Buffer.from(changes.names[i], 'utf8')],
        });
    });
  }
  const w = new Writer();
  w.struct(meta);
  return w.buffer();
}

/**
 * Reads the footer of the Parquet file at `path` and returns what to send instead of it:
 * the file's first `dataBytes` bytes, then `tail` (new footer, its length, magic).
 */
export async function renamedParquet(
  path: string,
  changes: FooterChanges,
): Promise<{ dataBytes: number; tail: Buffer }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const end = Buffer.alloc(8);
    await handle.read(end, 0, 8, size - 8);
    if (end.subarray(4).toString('latin1') !== 'PAR1') throw new Error('not a Parquet file');
    const length = end.readUInt32LE(0);
    const footer = Buffer.alloc(length);
    await handle.read(footer, 0, length, size - 8 - length);
    const rewritten = rewriteFooter(footer, changes);
    const tail = Buffer.alloc(rewritten.length + 8);
    rewritten.copy(tail, 0);
    tail.writeUInt32LE(rewritten.length, rewritten.length);
    tail.write('PAR1', rewritten.length + 4, 'latin1');
    return { dataBytes: size - 8 - length, tail };
  } finally {
    await handle.close();
  }
}
