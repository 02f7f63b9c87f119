import { ConfigType } from '@nestjs/config';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import { AppLogger } from '../../common/logging/app-logger.service';
import { uploadConfig } from '../../config/configuration';
import { DuckDbService } from '../../duckdb/duckdb.service';
import { XlsxIngester } from './xlsx-ingester';
import { dateCell, DIV0_CELL, FixtureCell, workbookBuffer, zipBombXlsx } from './zip-test-fixtures';

const MB = 1024 * 1024;
const silentLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

interface UploadLimits {
  xlsxParseTimeoutMs: number;
  xlsxParseMaxMemoryMb: number;
  xlsxMaxUncompressedBytes: number;
  xlsxMaxConcurrentParses: number;
}
const DEFAULT_LIMITS: UploadLimits = {
  xlsxParseTimeoutMs: 60_000,
  xlsxParseMaxMemoryMb: 512,
  xlsxMaxUncompressedBytes: 64 * MB,
  xlsxMaxConcurrentParses: 2,
};

/** The real worker and a real DuckDB; only config and logger are hand-made. */
describe('XlsxIngester', () => {
  let root: string;
  let storage: { inboundDir: string; tempDir: string; logDir: string };
  let duckdb: DuckDbService;
  let tableNo = 0;
  let fileNo = 0;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xlsx-ingester-'));
    storage = {
      inboundDir: join(root, 'in'),
      tempDir: join(root, 'tmp'),
      logDir: join(root, 'logs'),
    };
    duckdb = new DuckDbService(
      storage,
      { memoryLimitMb: 256, threads: 1 },
      silentLogger as unknown as AppLogger,
    );
    await duckdb.onModuleInit();
  });
  afterAll(async () => {
    await duckdb.onApplicationShutdown();
    rmSync(root, { recursive: true, force: true });
  });

  function ingester(limits: Partial<UploadLimits> = {}): XlsxIngester {
    const cfg = { ...DEFAULT_LIMITS, ...limits } as ConfigType<typeof uploadConfig>;
    return new XlsxIngester(cfg, storage, duckdb, silentLogger as unknown as AppLogger);
  }

  function fileOf(content: Buffer): string {
    const path = join(root, `upload-${fileNo++}.xlsx`);
    writeFileSync(path, content);
    return path;
  }

  async function ingest(content: Buffer, sheet?: string, limits?: Partial<UploadLimits>) {
    const table = `t${tableNo++}`;
    const result = await ingester(limits).ingest(fileOf(content), table, { sheet });
    const columns = await duckdb.queryJson(
      `SELECT column_name, column_type FROM (DESCRIBE ${table})`,
    );
    const rows = await duckdb.queryJson(`SELECT * FROM ${table} ORDER BY rowid`);
    return { result, types: columns.map((c) => c.column_type), rows };
  }

  async function rejection(
    content: Buffer,
    sheet?: string,
    limits?: Partial<UploadLimits>,
  ): Promise<string> {
    const error = await ingest(content, sheet, limits).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UploadRejected);
    return (error as UploadRejected).message;
  }

  const typed: FixtureCell[][] = [
    ['id', 'price', 'paid', 'ordered', 'note', 'mixed', 'failed'],
    [1, 9.5, true, dateCell(45322.5, 'yyyy-mm-dd hh:mm'), 'first', 7, DIV0_CELL],
    [null, null, null, null, null, null, null, null],
    [2, 10, false, dateCell(45323), 'second', 'seven', 1, 'beyond'],
  ];

  it('keeps numbers, booleans, dates and text typed, rows in file order, blank rows dropped', async () => {
    const { result, types, rows } = await ingest(workbookBuffer({ Orders: typed }));
    expect(result).toEqual({
      header: ['id', 'price', 'paid', 'ordered', 'note', 'mixed', 'failed', null],
      sheets: ['Orders'],
      hasHeader: true,
    });
    expect(types).toEqual([
      'BIGINT',
      'DOUBLE',
      'BOOLEAN',
      'TIMESTAMP',
      'VARCHAR',
      'VARCHAR',
      'BIGINT',
      'VARCHAR',
    ]);
    expect(rows).toEqual([
      {
        c0: 1,
        c1: 9.5,
        c2: true,
        c3: '2024-01-31T12:00:00',
        c4: 'first',
        c5: '7',
        c6: null,
        c7: null,
      },
      {
        c0: 2,
        c1: 10,
        c2: false,
        c3: '2024-02-01T00:00:00',
        c4: 'second',
        c5: 'seven',
        c6: 1,
        c7: 'beyond',
      },
    ]);
  });

  it('reads dates of a 1904-system workbook', async () => {
    const { types, rows } = await ingest(
      workbookBuffer({ S: [['day'], [dateCell(43860)]] }, { date1904: true }),
    );
    expect(types).toEqual(['TIMESTAMP']);
    expect(rows).toEqual([{ c0: '2024-01-31T00:00:00' }]);
  });

  it('loads the first sheet by default and lists all sheets', async () => {
    const book = workbookBuffer({
      First: [['a'], [1]],
      Second: [
        ['b', 'c'],
        ['x', 2.5],
      ],
    });
    const { result, rows } = await ingest(book);
    expect(result.sheets).toEqual(['First', 'Second']);
    expect(result.header).toEqual(['a']);
    expect(rows).toEqual([{ c0: 1 }]);
  });

  it('loads the sheet named by `sheet`, whatever its case', async () => {
    const book = workbookBuffer({
      First: [['a'], [1]],
      Second: [
        ['b', 'c'],
        ['x', 2.5],
      ],
    });
    for (const name of ['Second', 'second']) {
      const { result, rows } = await ingest(book, name);
      expect(result.header).toEqual(['b', 'c']);
      expect(rows).toEqual([{ c0: 'x', c1: 2.5 }]);
    }
  });

  it('refuses an unknown sheet name, listing the sheets there are', async () => {
    const book = workbookBuffer({ First: [['a'], [1]], Second: [['b'], [2]] });
    expect(await rejection(book, 'Third')).toBe(
      "The workbook has no sheet named 'Third'. Its sheets are 'First', 'Second'.",
    );
  });

  it('refuses an empty sheet, naming it', async () => {
    expect(await rejection(workbookBuffer({ Blank: [] }))).toBe("The sheet 'Blank' is empty.");
  });

  it('accepts a header without rows', async () => {
    const { result, rows, types } = await ingest(workbookBuffer({ S: [[null], [null, 'a', 'b']] }));
    expect(result.header).toEqual(['a', 'b']);
    expect(types).toEqual(['VARCHAR', 'VARCHAR']);
    expect(rows).toEqual([]);
  });

  it('checks the archive first: a ZIP bomb is refused', async () => {
    expect(await rejection(zipBombXlsx(20 * MB))).toMatch(/ZIP bombs/);
  });

  it('turns a parse that runs out of time into a readable refusal', async () => {
    expect(
      await rejection(workbookBuffer({ S: [['a'], [1]] }), undefined, { xlsxParseTimeoutMs: 1 }),
    ).toMatch(/too large or complex to parse within 0\.001 s/);
  });

  it('turns a parse that runs out of memory into a readable refusal', async () => {
    expect(
      await rejection(workbookBuffer({ S: [['a'], [1]] }), undefined, { xlsxParseMaxMemoryMb: 4 }),
    ).toMatch(/too large or complex to parse with 4 MB of memory/);
  });

  it('runs parses beyond the concurrency limit one after another', async () => {
    const limited = ingester({ xlsxMaxConcurrentParses: 1 });
    const books = [1, 2, 3].map((i) => fileOf(workbookBuffer({ S: [['n'], [i]] })));
    const tables = books.map(() => `t${tableNo++}`);
    await Promise.all(books.map((path, i) => limited.ingest(path, tables[i], {})));
    for (const [i, table] of tables.entries()) {
      expect(await duckdb.queryJson(`SELECT c0 FROM ${table}`)).toEqual([{ c0: i + 1 }]);
    }
  });

  it('leaves no temporary row file behind', async () => {
    await ingest(workbookBuffer({ S: [['a'], [1]] }));
    await rejection(workbookBuffer({ S: [['a'], [1]] }), 'nope');
    expect(readdirSync(storage.tempDir).filter((f) => f.startsWith('xlsx-rows-'))).toEqual([]);
  });
});
