import { ConfigType } from '@nestjs/config';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import { AppLogger } from '../../common/logging/app-logger.service';
import { uploadConfig } from '../../config/configuration';
import { DuckDbService } from '../../duckdb/duckdb.service';
import { MAX_MARKUP_CHARS } from './sheet-xml';
import { XlsxIngester } from './xlsx-ingester';
import {
  buildZip,
  dateCell,
  DIV0_CELL,
  FixtureCell,
  workbookBuffer,
  zipBombXlsx,
} from '../../../test/support/zip-test-fixtures';
import { cell, oneSheet, row, text, workbookParts } from '../../../test/support/xlsx-builder';
import { writeHostileXlsx } from '../../../test/support/hostile-xlsx';

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
  xlsxMaxSharedStringsBytes: number;
}
const DEFAULT_LIMITS: UploadLimits = {
  xlsxParseTimeoutMs: 60_000,
  xlsxParseMaxMemoryMb: 512,
  xlsxMaxUncompressedBytes: 64 * MB,
  xlsxMaxConcurrentParses: 2,
  xlsxMaxSharedStringsBytes: 64 * MB,
};

/** The real worker and a real DuckDB; only config and logger are hand-made. */
describe('XlsxIngester', () => {
  // Each parse starts a child process that compiles its TypeScript first.
  jest.setTimeout(30_000);
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

  async function ingest(
    content: Buffer,
    sheet?: string,
    limits?: Partial<UploadLimits>,
    header = true,
  ) {
    const table = `t${tableNo++}`;
    const result = await ingester(limits).ingest(fileOf(content), table, { sheet, header });
    const columns = await duckdb.queryJson(
      `SELECT column_name, column_type FROM (DESCRIBE ${table})`,
    );
    const rows = await duckdb.queryJson(`SELECT * FROM ${table} ORDER BY rowid`);
    return {
      result,
      names: columns.map((c) => c.column_name),
      types: columns.map((c) => c.column_type),
      rows,
    };
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

  it('types columns as pandas.read_excel does and keeps blank rows between data rows', async () => {
    const { result, names, types, rows } = await ingest(workbookBuffer({ Orders: typed }));
    expect(result.columns).toEqual([
      { name: 'id', dtype: 'float64' },
      { name: 'price', dtype: 'float64' },
      // Booleans with a missing value are float64 (1.0/0.0) in pandas.read_excel.
      { name: 'paid', dtype: 'float64' },
      { name: 'ordered', dtype: 'datetime64[ns]' },
      { name: 'note', dtype: 'object' },
      { name: 'mixed', dtype: 'object' },
      { name: 'failed', dtype: 'float64' },
      { name: 'Unnamed: 7', dtype: 'object' },
    ]);
    expect(result.rowCount).toBe(3);
    expect(result.sheets).toEqual(['Orders']);
    expect({ ...result.renamedColumns }).toEqual({ '': 'Unnamed: 7' });
    expect(Object.getPrototypeOf(result.renamedColumns)).toBeNull();
    expect(result.warnings).toEqual([
      expect.stringMatching(/Column 'mixed' holds values of several types \(int, str\)/),
    ]);
    expect(names).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']);
    expect(types).toEqual([
      'DOUBLE',
      'DOUBLE',
      'DOUBLE',
      'TIMESTAMP_NS',
      'VARCHAR',
      'VARCHAR',
      'DOUBLE',
      'VARCHAR',
    ]);
    const stamp = (iso: string) => ({ nanos: String(BigInt(Date.parse(`${iso}Z`)) * 1_000_000n) });
    expect(rows).toEqual([
      { c0: 1, c1: 9.5, c2: 1, c3: expect.anything(), c4: 'first', c5: '7', c6: null, c7: null },
      { c0: null, c1: null, c2: null, c3: null, c4: null, c5: null, c6: null, c7: null },
      {
        c0: 2,
        c1: 10,
        c2: 0,
        c3: expect.anything(),
        c4: 'second',
        c5: 'seven',
        c6: 1,
        c7: 'beyond',
      },
    ]);
    const dates = await duckdb.queryJson(
      `SELECT strftime(c3, '%Y-%m-%d %H:%M:%S') AS d FROM t${tableNo - 1} ORDER BY rowid`,
    );
    expect(dates.map((d) => d.d)).toEqual(['2024-01-31 12:00:00', null, '2024-02-01 00:00:00']);
    expect(stamp('2024-01-31T12:00:00')).toBeDefined();
  });

  it('stores times, durations, ISO dates and booleans with their DuckDB types', async () => {
    const book = oneSheet(
      [
        row(
          1,
          text('A1', 'slot'),
          text('B1', 'took'),
          text('C1', 'day'),
          text('D1', 'ok'),
          text('E1', 'maybe'),
        ),
        row(
          2,
          cell('A2', 0.5, { s: 1 }),
          cell('B2', 'PT1H30M', { t: 'd' }),
          cell('C2', '2024-03-10', { t: 'd' }),
          cell('D2', 1, { t: 'b' }),
          cell('E2', 1, { t: 'b' }),
        ),
        row(
          3,
          cell('A3', 0.25, { s: 1 }),
          cell('B3', 'PT2S', { t: 'd' }),
          cell('C3', '2024-03-11', { t: 'd' }),
          cell('D3', 0, { t: 'b' }),
          text('E3', 'false'),
        ),
        row(
          4,
          cell('A4', 0.75, { s: 1 }),
          cell('B4', 'PT0M', { t: 'd' }),
          cell('C4', '2024-03-12', { t: 'd' }),
          cell('D4', 1, { t: 'b' }),
        ),
      ],
      { cellXfs: [0, 21] },
    );
    const { result, types, rows } = await ingest(book);
    expect(result.columns.map((c) => c.dtype)).toEqual([
      'object',
      'timedelta64[ns]',
      'object',
      'bool',
      'object',
    ]);
    expect(types).toEqual(['TIME', 'INTERVAL', 'DATE', 'BOOLEAN', 'BOOLEAN']);
    const shown = await duckdb.queryJson(
      `SELECT CAST(c0 AS VARCHAR) AS t, CAST(c1 AS VARCHAR) AS took, CAST(c2 AS VARCHAR) AS d, ` +
        `c3 AS b, c4 AS m FROM t${tableNo - 1} ORDER BY rowid`,
    );
    expect(shown).toEqual([
      { t: '12:00:00', took: '01:30:00', d: '2024-03-10', b: true, m: true },
      { t: '06:00:00', took: '00:00:02', d: '2024-03-11', b: false, m: false },
      { t: '18:00:00', took: '00:00:00', d: '2024-03-12', b: true, m: null },
    ]);
    expect(rows).toHaveLength(3);
  });

  it('reads dates of a 1904-system workbook', async () => {
    const { types } = await ingest(
      workbookBuffer({ S: [['day'], [dateCell(43860)]] }, { date1904: true }),
    );
    expect(types).toEqual(['TIMESTAMP_NS']);
    const [{ d }] = await duckdb.queryJson(`SELECT CAST(c0 AS VARCHAR) AS d FROM t${tableNo - 1}`);
    expect(d).toBe('2024-01-31 00:00:00');
  });

  it('keeps dates pandas cannot hold as text, with a warning', async () => {
    const { result, types, rows } = await ingest(
      workbookBuffer({ S: [['valid_to'], [dateCell(2958465)], [dateCell(45000)]] }),
    );
    expect(result.columns).toEqual([{ name: 'valid_to', dtype: 'object' }]);
    expect(types).toEqual(['VARCHAR']);
    expect(rows).toEqual([{ c0: '9999-12-31 00:00:00' }, { c0: '2023-03-15 00:00:00' }]);
    expect(result.warnings).toEqual([expect.stringMatching(/outside .*9999-12-31 00:00:00/)]);
  });

  it('reads the first row as data with header=false', async () => {
    const { result, rows } = await ingest(
      workbookBuffer({
        S: [
          [2019, 2020],
          [1, 2],
        ],
      }),
      undefined,
      undefined,
      false,
    );
    expect(result.columns).toEqual([
      { name: 'column_1', dtype: 'int64' },
      { name: 'column_2', dtype: 'int64' },
    ]);
    expect(rows).toEqual([
      { c0: 2019, c1: 2020 },
      { c0: 1, c1: 2 },
    ]);
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
    expect(result.columns.map((c) => c.name)).toEqual(['a']);
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
      expect(result.columns.map((c) => c.name)).toEqual(['b', 'c']);
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

  it('accepts a header without rows (the header is the first row, blank or not)', async () => {
    const { result, rows, types } = await ingest(workbookBuffer({ S: [[null], [null, 'a', 'b']] }));
    expect(result.columns).toEqual([
      // A column of nothing but missing values is float64, as pandas has it.
      { name: 'Unnamed: 0', dtype: 'float64' },
      { name: 'Unnamed: 1', dtype: 'object' },
      { name: 'Unnamed: 2', dtype: 'object' },
    ]);
    expect(result.rowCount).toBe(1);
    expect(types).toEqual(['DOUBLE', 'VARCHAR', 'VARCHAR']);
    expect(rows).toEqual([{ c0: null, c1: 'a', c2: 'b' }]);
  });

  it('loads a sheet 16,384 columns wide (one cell at XFD1)', async () => {
    const table = `t${tableNo++}`;
    const book = fileOf(oneSheet([row(1, text('XFD1', 'last'))]));
    const result = await ingester().ingest(book, table, { header: true });
    expect(result.columns).toHaveLength(16_384);
    expect(result.columns[0]).toEqual({ name: 'Unnamed: 0', dtype: 'object' });
    expect(result.columns[16_383]).toEqual({ name: 'last', dtype: 'object' });
    expect(result.rowCount).toBe(0);
    const [{ n, columns }] = await duckdb.queryJson(
      `SELECT (SELECT count(*) FROM ${table}) AS n, (SELECT count(*) FROM (DESCRIBE ${table})) AS columns`,
    );
    expect({ n, columns }).toEqual({ n: 0, columns: 16_384 });
  });

  it('refuses a cell beyond column XFD', async () => {
    expect(await rejection(oneSheet([row(1, text('XFE1', 'x'))]))).toMatch(
      /too large to load.*column XFE/,
    );
  });

  it('refuses a small workbook that lays out as a huge table', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(i + 1, cell(`XFD${i + 1}`, i)));
    expect(await rejection(oneSheet(rows), undefined, { xlsxMaxUncompressedBytes: MB })).toMatch(
      /too large to load.*more than 1 MB/,
    );
  });

  it('checks the archive first: a ZIP bomb is refused', async () => {
    expect(await rejection(zipBombXlsx(20 * MB))).toMatch(/ZIP bombs/);
  });

  it('refuses a part that inflates to more than its declared size as damaged', async () => {
    const parts = workbookParts({ sheets: [{ name: 'S', rows: row(1, text('A1', 'a')) }] });
    const sheet = parts.find((p) => p.name.includes('worksheets'))!;
    // The sheet claims 1000 bytes and inflates to a few megabytes of XML.
    sheet.data = Buffer.from(
      `<worksheet><sheetData>${'<row/>'.repeat(MB)}</sheetData></worksheet>`,
    );
    sheet.declaredUncompressedSize = 1000;
    expect(await rejection(buildZip(parts))).toMatch(/damaged/);
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

  it('refuses shared strings that unpack to more than the cap, before reading them', async () => {
    const path = join(root, `hostile-${fileNo++}.xlsx`);
    await writeHostileXlsx(path, 'long-shared-strings', { chars: 3 * MB });
    const detail = await rejection(readFileSync(path), undefined, {
      xlsxMaxSharedStringsBytes: 2 * MB,
    });
    expect(detail).toMatch(
      /shared strings \(the text of its cells\) unpack to 3 MB, more than the 2 MB accepted \(XLSX_MAX_SHARED_STRINGS_MB\)/,
    );
  });

  it('refuses a tag longer than the markup cap (a huge attribute) without holding it', async () => {
    const path = join(root, `hostile-${fileNo++}.xlsx`);
    await writeHostileXlsx(path, 'huge-attribute', { chars: MAX_MARKUP_CHARS + 2 * MB });
    expect(await rejection(readFileSync(path))).toMatch(
      /one of its XML tags or comments is longer than 16 million characters/,
    );
  });

  it('refuses a cell whose text is longer than the cap without joining it', async () => {
    const path = join(root, `hostile-${fileNo++}.xlsx`);
    await writeHostileXlsx(path, 'long-inline-string', { chars: MAX_MARKUP_CHARS + 2 * MB });
    expect(await rejection(readFileSync(path))).toMatch(
      /one of its cells holds more than 16 million characters/,
    );
  });

  it('refuses, and survives, a parse that reaches its heap limit', async () => {
    // 1.7 million short shared strings take more than 64 MB of heap; the cap lets them through.
    const path = join(root, `hostile-${fileNo++}.xlsx`);
    await writeHostileXlsx(path, 'many-shared-strings', { chars: 40 * MB });
    expect(await rejection(readFileSync(path), undefined, { xlsxParseMaxMemoryMb: 64 })).toMatch(
      /too large or complex to parse with 64 MB of memory \(XLSX_PARSE_MAX_MEMORY_MB\)/,
    );
    expect(await ingest(workbookBuffer({ S: [['a'], [1]] }))).toMatchObject({ rows: [{ c0: 1 }] });
  });

  it('runs parses beyond the concurrency limit one after another', async () => {
    const limited = ingester({ xlsxMaxConcurrentParses: 1 });
    const books = [1, 2, 3].map((i) => fileOf(workbookBuffer({ S: [['n'], [i]] })));
    const tables = books.map(() => `t${tableNo++}`);
    await Promise.all(books.map((path, i) => limited.ingest(path, tables[i], { header: true })));
    for (const [i, table] of tables.entries()) {
      expect(await duckdb.queryJson(`SELECT c0 FROM ${table}`)).toEqual([{ c0: i + 1 }]);
    }
  });

  it('leaves no temporary row file behind', async () => {
    await ingest(workbookBuffer({ S: [['a'], [1]] }));
    await rejection(workbookBuffer({ S: [['a'], [1]] }), 'nope');
    expect(readdirSync(storage.tempDir).filter((f) => f.startsWith('xlsx-'))).toEqual([]);
  });
});
