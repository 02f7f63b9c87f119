import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toJsonRows } from '../duckdb/duckdb.service';
import { ParquetColumn, writeParquet } from './parquet-writer';

describe('writeParquet (read back by DuckDB)', () => {
  let dir: string;
  let db: DuckDBInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acb-parquet-spec-'));
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => {
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function roundTrip(
    columns: ParquetColumn[],
    rows: number,
    sql = 'SELECT * FROM t ORDER BY rowid',
  ) {
    const file = join(dir, `f${Math.random().toString(16).slice(2)}.parquet`);
    writeFileSync(file, Buffer.concat(writeParquet(columns, rows)));
    const conn = await db.connect();
    try {
      await conn.run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet('${file}')`);
      const types = (await conn.runAndReadAll('DESCRIBE t'))
        .getRowObjectsJson()
        .map((r) => r.column_type);
      return { types, rows: toJsonRows(await conn.runAndReadAll(sql)) };
    } finally {
      conn.closeSync();
    }
  }

  it('writes every column type, with and without missing values', async () => {
    const valid = new Uint8Array([1, 0, 1]);
    const { types, rows } = await roundTrip(
      [
        {
          name: 'i',
          type: 'int64',
          values: new BigInt64Array([1n, 2n, -(2n ** 62n)]),
          valid: null,
        },
        { name: 'in', type: 'int64', values: new BigInt64Array([1n, 99n, 3n]), valid },
        { name: 'f', type: 'double', values: new Float64Array([1.5, 99, -0.25]), valid },
        { name: 'b', type: 'boolean', values: new Uint8Array([1, 0, 1]), valid: null },
        { name: 'bn', type: 'boolean', values: new Uint8Array([0, 1, 1]), valid },
        {
          name: 'u',
          type: 'uint64',
          values: new BigInt64Array(new BigUint64Array([0n, 2n ** 64n - 1n, 2n ** 63n]).buffer),
          valid,
        },
        { name: 's', type: 'utf8', text: Buffer.from('héllo\u0000\u0000日本'), valid },
        { name: 'e', type: 'utf8', text: Buffer.from('\u0000\u0000'), valid: null },
      ],
      3,
    );
    expect(types).toEqual([
      'BIGINT',
      'BIGINT',
      'DOUBLE',
      'BOOLEAN',
      'BOOLEAN',
      'UBIGINT',
      'VARCHAR',
      'VARCHAR',
    ]);
    expect(rows[0]).toMatchObject({
      i: 1,
      in: 1,
      f: 1.5,
      b: true,
      bn: false,
      u: 0,
      s: 'héllo',
      e: '',
    });
    expect(rows[1]).toMatchObject({ in: null, f: null, bn: null, u: null, s: null, e: '' });
    expect(rows[2]).toMatchObject({
      i: String(-(2n ** 62n)),
      in: 3,
      f: -0.25,
      u: String(2n ** 63n),
      s: '日本',
    });
  });

  it('splits many rows into row groups without losing or reordering any', async () => {
    const rows = 300_000;
    const texts = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? '' : `v${i}`));
    const valid = new Uint8Array(rows).map((_, i) => (i % 5 === 0 ? 0 : 1));
    const { rows: check } = await roundTrip(
      [
        {
          name: 'n',
          type: 'int64',
          values: new BigInt64Array(rows).map((_, i) => BigInt(i)),
          valid: null,
        },
        { name: 's', type: 'utf8', text: Buffer.from(texts.join('\u0000')), valid },
      ],
      rows,
      `SELECT count(*) AS n, count(s) AS present,
              count(*) FILTER (WHERE s IS NOT NULL AND s <> 'v' || n) AS misplaced,
              min(n) FILTER (WHERE rowid <> n) AS reordered FROM t`,
    );
    expect(check).toEqual([{ n: rows, present: rows - rows / 5, misplaced: 0, reordered: null }]);
  });

  it('refers to long values instead of copying them, around short ones and missing ones', async () => {
    const long = 'é'.repeat(100_000); // 200,000 bytes: beyond the copy threshold
    const values = ['a', long, '', `${long}z`, 'b', long];
    const valid = new Uint8Array([1, 1, 0, 1, 1, 1]);
    const text = Buffer.from(values.join('\u0000'), 'utf8');
    const parts = writeParquet([{ name: 's', type: 'utf8', text, valid }], values.length);
    // The long values' bytes are parts of the file as they are, not copies.
    expect(parts.filter((p) => p.buffer === text.buffer).map((p) => p.length)).toEqual([
      200_000, 200_001, 200_000,
    ]);
    const { rows } = await roundTrip([{ name: 's', type: 'utf8', text, valid }], values.length);
    expect(rows.map((r) => r.s)).toEqual(['a', long, null, `${long}z`, 'b', long]);
  });

  it('writes an empty table', async () => {
    const { rows } = await roundTrip(
      [{ name: 's', type: 'utf8', text: Buffer.alloc(0), valid: null }],
      0,
    );
    expect(rows).toEqual([]);
  });
});
