import { ConfigType } from '@nestjs/config';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogger } from '../common/logging/app-logger.service';
import { previewConfig } from '../config/configuration';
import { CachedTableRepository } from './cached-table.repository';
import { DuckDbService } from './duckdb.service';

const silentLogger = { log: () => undefined, error: () => undefined, warn: () => undefined };

describe('CachedTableRepository (real DuckDB)', () => {
  let root: string;
  let duckdb: DuckDbService;
  let tables: CachedTableRepository;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'cached-table-'));
    duckdb = new DuckDbService(
      { inboundDir: root, tempDir: join(root, 'tmp'), logDir: root },
      { memoryLimitMb: 256, threads: 1 },
      silentLogger as unknown as AppLogger,
    );
    await duckdb.onModuleInit();
    const preview = { maxCellChars: 5 } as ConfigType<typeof previewConfig>;
    tables = new CachedTableRepository(preview, duckdb);
    // Columns by position (c0..), as every cached table: an int stored as DOUBLE, text, a flag.
    await duckdb.run(
      `CREATE TABLE t AS SELECT * FROM (VALUES
        (1.0, 'apple', true), (2.0, 'banana split', false), (NULL, 'apple', NULL),
        (4.0, NULL, true)) v(c0, c1, c2)`,
    );
  });
  afterAll(async () => {
    await duckdb.onApplicationShutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('describes the stored types by position', async () => {
    expect(await tables.describe('t')).toEqual(['DECIMAL(2,1)', 'VARCHAR', 'BOOLEAN']);
  });

  it('pages rows in file order under the pandas names, read as their dtypes, text cut', async () => {
    const schema = { columns: ['n', 'fruit', 'ok'], dtypes: ['int64', 'object', 'bool'] };
    const rows = await tables.page('t', 1, 2, schema);
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { n: 2, fruit: 'banan… [cut: 12 chars]', ok: false },
      { n: null, fruit: 'apple', ok: null },
    ]);
    expect(Object.getPrototypeOf(rows[0])).toBeNull();
  });

  it('stops a page once its text passes maxBytes, giving the first row always', async () => {
    const schema = { columns: ['n', 'fruit', 'ok'], dtypes: ['int64', 'object', 'bool'] };
    expect(await tables.page('t', 0, 4, schema, 1)).toHaveLength(1);
  });

  it('profiles exactly or approximately, with ranges and lengths only where asked', async () => {
    const columns = [
      { index: 0, dtype: 'int64', range: true, text: false },
      { index: 1, dtype: 'object', range: false, text: true },
    ];
    const exact = await tables.profile('t', columns, false);
    expect(exact).toEqual({
      rows: 4,
      columns: [
        { nonNull: 3, distinct: 3, min: '1', max: '4' },
        { nonNull: 3, distinct: 2, maxLength: 12 },
      ],
    });
    const approx = await tables.profile('t', columns, true);
    expect(approx.columns[1].distinct).toBe(2);
  });

  it('lists the most common values per column, most frequent first', async () => {
    const top = await tables.topValues(
      't',
      [
        { index: 1, dtype: 'object' },
        { index: 2, dtype: 'bool' },
      ],
      1,
    );
    expect(top).toEqual([[{ value: 'apple', count: 2 }], [{ value: 'true', count: 2 }]]);
    expect(await tables.topValues('t', [], 3)).toEqual([]);
  });

  it('drops a table, and a table already gone is fine', async () => {
    await duckdb.run('CREATE TABLE gone AS SELECT 1 AS c0');
    await tables.drop('gone');
    await tables.drop('gone');
    await expect(tables.describe('gone')).rejects.toThrow();
  });

  it('persists a table to Parquet in row order and puts a view in its place, every type as it was', async () => {
    await duckdb.run(
      `CREATE TABLE p AS SELECT * FROM (VALUES
        (to_microseconds(123456789012::BIGINT), TIMESTAMP_NS '2020-01-01 00:00:00.123456789',
         18446744073709551615::UBIGINT, TIME '12:34:56.789012', 'x', 1.5::DECIMAL(4,2), 17::HUGEINT),
        (NULL, NULL, 0::UBIGINT, NULL, NULL, NULL, NULL)) v(c0, c1, c2, c3, c4, c5, c6)`,
    );
    const types = await tables.describe('p');
    const before = await duckdb.queryJson('SELECT * FROM p ORDER BY rowid');
    const file = join(root, 'p.parquet');
    await tables.persist('p', file);
    expect(await tables.describe('p')).toEqual([...types, 'BIGINT']);
    expect(await duckdb.queryJson('SELECT * EXCLUDE (rowid) FROM p ORDER BY rowid')).toEqual(
      before,
    );
    expect((await duckdb.queryJson('SELECT rowid FROM p')).map((r) => r.rowid)).toEqual([0, 1]);
    const [view] = await duckdb.queryJson(
      "SELECT count(*) AS n FROM duckdb_views() WHERE view_name = 'p'",
    );
    expect(view.n).toBe(1);

    // Another process (here: the view dropped) attaches the same file and sees the same rows.
    await tables.drop('p');
    await expect(duckdb.run('SELECT * FROM p')).rejects.toThrow();
    await tables.attach('p', file);
    await tables.attach('p', file);
    expect(await duckdb.queryJson('SELECT * EXCLUDE (rowid) FROM p ORDER BY rowid')).toEqual(
      before,
    );
    await tables.drop('p');
  });

  it('splits a wide table across files by column and reads it back whole, in row order', async () => {
    const select = Array.from({ length: 600 }, (_, i) => `range * ${i} AS c${i}`).join(', ');
    await duckdb.run(`CREATE TABLE w AS SELECT ${select} FROM range(3000)`);
    const file = join(root, 'w.parquet');
    await tables.persist('w', file);
    expect(
      readdirSync(root)
        .filter((f) => f.startsWith('w.parquet'))
        .sort(),
    ).toEqual(['w.parquet', 'w.parquet.1', 'w.parquet.2']);
    const [check] = await duckdb.queryJson(
      'SELECT count(*) AS n, bool_and(c599 = rowid * 599 AND c300 = rowid * 300) AS ok FROM w',
    );
    expect(check).toEqual({ n: 3000, ok: true });
    expect((await tables.describe('w')).length).toBe(601);
    await tables.drop('w');
  });

  it('drops tables and views alike, and what is already gone', async () => {
    await duckdb.run('CREATE TABLE d AS SELECT 1 AS c0');
    await tables.drop('d');
    await tables.drop('d');
    await expect(duckdb.run('SELECT * FROM d')).rejects.toThrow();
  });
});
