import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { storageConfig } from '../config/configuration';
import { DuckDbService, quoteIdent, quoteLiteral } from '../duckdb/duckdb.service';
import { DecodedColumn, DecodedFrame } from '../sandbox/frame';
import { OUTPUT_COLUMN_NAME_MAX_CHARS } from '../sandbox/sandbox-limits';
import { ParquetColumn, writeParquet } from './parquet-writer';

/** pandas' nanosecond timestamps span ±2^63 ns; anything beyond is not a real value. */
const MAX_TIMESTAMP_MICROS = 9_223_372_036_854_775n;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

export interface StoredOutput {
  table: string;
  columns: string[];
  rows: number;
}

/**
 * Column names from untrusted output: control characters replaced, length bounded,
 * empty ones named, and duplicates (DuckDB compares names case-insensitively) suffixed.
 */
export function safeColumnNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((raw, i) => {
    const base =
      raw.replace(CONTROL_CHARACTERS, '_').slice(0, OUTPUT_COLUMN_NAME_MAX_CHARS) ||
      `column_${i + 1}`;
    let name = base;
    for (let n = 2; seen.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

/** Present unless the frame says missing, or the value itself means missing (NaN, out of range). */
function validity(
  rows: number,
  valid: Uint8Array | null,
  missing: (i: number) => boolean,
): Uint8Array | null {
  let out: Uint8Array | null = valid;
  for (let i = 0; i < rows; i++) {
    if ((valid === null || valid[i] !== 0) && missing(i)) {
      out ??= new Uint8Array(rows).fill(1);
      out[i] = 0;
    }
  }
  return out;
}

/** A decoded column as a Parquet column named `c<index>` (names are applied in SQL). */
function toParquet(column: DecodedColumn, index: number, rows: number): ParquetColumn {
  const name = `c${index}`;
  switch (column.kind) {
    case 'i':
      return { name, type: 'int64', values: column.values, valid: column.valid };
    case 'f': {
      // NaN is how pandas writes "missing"; it is stored as NULL.
      const values = column.values;
      return {
        name,
        type: 'double',
        values,
        valid: validity(rows, column.valid, (i) => values[i] !== values[i]),
      };
    }
    case 'b':
      return { name, type: 'boolean', values: column.values, valid: column.valid };
    case 't':
    case 'z': {
      const values = column.values;
      const outOfRange = (i: number): boolean =>
        values[i] > MAX_TIMESTAMP_MICROS || values[i] < -MAX_TIMESTAMP_MICROS;
      return {
        name,
        type: 'timestamp',
        utc: column.kind === 'z',
        values,
        valid: validity(rows, column.valid, outOfRange),
      };
    }
    case 's':
      return { name, type: 'utf8', text: column.text, valid: column.valid };
  }
}

/**
 * Jobs' outputs in the DuckDB cache, under server-generated names. The validated frame
 * is written as a Parquet file (columns copied nearly as they are) that DuckDB loads
 * with one CREATE TABLE ... AS SELECT, giving the columns their (sanitised) names.
 */
@Injectable()
export class OutputStore {
  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly duckdb: DuckDbService,
  ) {}

  async save(frame: DecodedFrame): Promise<StoredOutput> {
    const table = `job_${randomBytes(12).toString('hex')}`;
    const columns = safeColumnNames(frame.columns.map((c) => c.name));
    const dir = join(this.storage.tempDir, 'outputs');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${table}.parquet`);
    try {
      const parts = writeParquet(
        frame.columns.map((c, i) => toParquet(c, i, frame.rows)),
        frame.rows,
      );
      const handle = await open(file, 'w', 0o600);
      try {
        await handle.writev(parts);
      } finally {
        await handle.close();
      }
      const select = columns.map((name, i) => `c${i} AS ${quoteIdent(name)}`).join(', ');
      await this.duckdb.run(
        `CREATE TABLE ${quoteIdent(table)} AS SELECT ${select} FROM read_parquet(${quoteLiteral(file)})`,
      );
    } finally {
      await rm(file, { force: true });
    }
    return { table, columns, rows: frame.rows };
  }

  async drop(table: string): Promise<void> {
    await this.duckdb.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
  }
}
