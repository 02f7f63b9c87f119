import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBAppender,
  DuckDBDataChunk,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBType,
  DuckDBVector,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DuckDbService, JsonRow, quoteIdent } from '../duckdb/duckdb.service';
import { Frame, FrameColumn } from '../sandbox/frame';
import { OUTPUT_COLUMN_NAME_MAX_CHARS } from '../sandbox/sandbox-limits';

/** DuckDB's data chunks hold at most this many rows (its vector size). */
const CHUNK_ROWS = 2048;
/** pandas' nanosecond timestamps span ±2^63 ns; anything beyond is not a real value. */
const MAX_TIMESTAMP_MICROS = 9_223_372_036_854_775n;

const TYPES: Record<FrameColumn['kind'], DuckDBType> = {
  i: BIGINT,
  f: DOUBLE,
  b: BOOLEAN,
  t: TIMESTAMP,
  z: TIMESTAMPTZ,
  s: VARCHAR,
};

export interface StoredOutput {
  table: string;
  columns: string[];
  rows: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

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

function fillVector(vector: DuckDBVector, column: FrameColumn, from: number, count: number): void {
  const valid = column.valid;
  const present = (j: number): boolean => valid === null || valid[j] !== 0;
  // One loop per kind keeps each monomorphic.
  switch (column.kind) {
    case 'i': {
      const values = column.values;
      for (let i = 0; i < count; i++)
        vector.setItem(i, present(from + i) ? values[from + i] : null);
      break;
    }
    case 'f': {
      const values = column.values;
      for (let i = 0; i < count; i++) {
        const v = values[from + i];
        // NaN is how pandas writes "missing"; it is stored as NULL.
        vector.setItem(i, v === v && present(from + i) ? v : null);
      }
      break;
    }
    case 'b': {
      const values = column.values;
      for (let i = 0; i < count; i++)
        vector.setItem(i, present(from + i) ? values[from + i] !== 0 : null);
      break;
    }
    case 't':
    case 'z': {
      const values = column.values;
      const make =
        column.kind === 't'
          ? (v: bigint) => new DuckDBTimestampValue(v)
          : (v: bigint) => new DuckDBTimestampTZValue(v);
      for (let i = 0; i < count; i++) {
        const v = values[from + i];
        const ok = present(from + i) && v <= MAX_TIMESTAMP_MICROS && v >= -MAX_TIMESTAMP_MICROS;
        vector.setItem(i, ok ? make(v) : null);
      }
      break;
    }
    case 's': {
      const values = column.values;
      for (let i = 0; i < count; i++)
        vector.setItem(i, present(from + i) ? values[from + i] : null);
      break;
    }
  }
  vector.flush();
}

function append(appender: DuckDBAppender, frame: Frame): void {
  const types = frame.columns.map((c) => TYPES[c.kind]);
  for (let from = 0; from < frame.rows; from += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, frame.rows - from);
    const chunk = DuckDBDataChunk.create(types, count);
    frame.columns.forEach((column, c) => fillVector(chunk.getColumnVector(c), column, from, count));
    appender.appendDataChunk(chunk);
  }
}

/** Jobs' outputs in the DuckDB cache, under server-generated names. */
@Injectable()
export class OutputStore {
  constructor(private readonly duckdb: DuckDbService) {}

  /** Stores a frame the sandbox returned (already validated by decodeFrame). */
  async save(frame: Frame): Promise<StoredOutput> {
    const table = `job_${randomBytes(12).toString('hex')}`;
    const columns = safeColumnNames(frame.columns.map((c) => c.name));
    const definition = columns.map(
      (name, i) => `${quoteIdent(name)} ${TYPES[frame.columns[i].kind].toString()}`,
    );
    await this.duckdb.withConnection(async (conn) => {
      await conn.run(`CREATE TABLE ${quoteIdent(table)} (${definition.join(', ')})`);
      try {
        const appender = await conn.createAppender(table);
        try {
          append(appender, frame);
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      } catch (error) {
        await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`).catch(() => undefined);
        throw error;
      }
    });
    return { table, columns, rows: frame.rows };
  }

  /** The first rows in order, JSON-safe. */
  preview(table: string, limit: number): Promise<JsonRow[]> {
    return this.duckdb.queryJson(`SELECT * FROM ${quoteIdent(table)} ORDER BY rowid LIMIT $limit`, {
      limit,
    });
  }

  async drop(table: string): Promise<void> {
    await this.duckdb.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
  }
}
