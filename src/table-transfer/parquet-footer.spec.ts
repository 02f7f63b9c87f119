import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renamedParquet } from './parquet-footer';

describe('renamedParquet (a DuckDB-written file, its footer rewritten, read back by DuckDB)', () => {
  let dir: string;
  let db: DuckDBInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acb-footer-spec-'));
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => {
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(sql: string): Promise<Record<string, unknown>[]> {
    const conn = await db.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJson();
    } finally {
      conn.closeSync();
    }
  }

  it('renames every column of every row group and sets nanosecond logical types', async () => {
    const source = join(dir, 'source.parquet');
    const rows = 300_000;
    await query(
      `COPY (SELECT i::BIGINT * 1000000001 AS c0, i::BIGINT AS c1, 'v' || i AS c2, i::BIGINT * 1000 AS c3
             FROM range(${rows}) t(i)) TO '${source}' (FORMAT parquet)`,
    );
    const { dataBytes, tail } = await renamedParquet(source, {
      names: ['A', 'a', '', '__proto__'],
      logical: ['timestamp-ns-utc', undefined, undefined, 'timestamp-ns'],
    });
    const target = join(dir, 'target.parquet');
    writeFileSync(target, Buffer.concat([readFileSync(source).subarray(0, dataBytes), tail]));

    const schema = await query(
      `SELECT name, converted_type, logical_type, duckdb_type FROM parquet_schema('${target}') WHERE num_children IS NULL`,
    );
    expect(schema.map((s) => s.name)).toEqual(['A', 'a', '', '__proto__']);
    expect(schema[0].converted_type).toBeNull();
    expect(String(schema[0].logical_type)).toMatch(/isAdjustedToUTC=1.*NANOS/);
    expect(String(schema[3].logical_type)).toMatch(/isAdjustedToUTC=0.*NANOS/);
    expect(schema.map((s) => s.duckdb_type)).toEqual([
      'TIMESTAMP WITH TIME ZONE',
      'BIGINT',
      'VARCHAR',
      'TIMESTAMP_NS',
    ]);
    const [check] = await query(
      `SELECT count(*) AS n,
              count(*) FILTER (WHERE p1 <> rn OR p2 <> 'v' || rn OR epoch_ns(p3) <> rn * 1000
                               OR epoch_us(p0) <> rn * 1000000001 // 1000) AS wrong
       FROM read_parquet('${target}', file_row_number = true) AS t(p0, p1, p2, p3, rn)`,
    );
    expect(check).toEqual({ n: String(rows), wrong: '0' });
  });

  it('refuses a file whose columns are not the ones named', async () => {
    const source = join(dir, 'two.parquet');
    await query(`COPY (SELECT 1 AS c0, 2 AS c1) TO '${source}' (FORMAT parquet)`);
    await expect(renamedParquet(source, { names: ['x'], logical: [undefined] })).rejects.toThrow(
      /expected columns/,
    );
  });
});
