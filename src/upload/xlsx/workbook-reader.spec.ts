import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkbook } from './workbook-reader';
import { FixtureCell, workbookBuffer } from './zip-test-fixtures';

/** The parse itself, in-process (the ingester runs it in a worker thread). */
describe('readWorkbook', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'workbook-reader-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function read(sheets: Record<string, FixtureCell[][]>, sheet?: string) {
    const filePath = join(dir, `book-${n}.xlsx`);
    const outPath = join(dir, `rows-${n++}.ndjson`);
    writeFileSync(filePath, workbookBuffer(sheets));
    return { reply: readWorkbook({ filePath, outPath, sheet }), outPath };
  }

  it('writes the rows as NDJSON and describes the table', () => {
    const { reply, outPath } = read({
      S: [
        ['a', 'b'],
        [1, 'x'],
        [2.5, null],
      ],
    });
    expect(reply).toEqual({
      kind: 'parsed',
      sheets: ['S'],
      header: ['a', 'b'],
      types: ['DOUBLE', 'VARCHAR'],
      rowCount: 2,
      maxLineBytes: expect.any(Number) as number,
    });
    expect(readFileSync(outPath, 'utf8')).toBe('{"n":0,"c0":1,"c1":"x"}\n{"n":1,"c0":2.5}\n');
  });

  it('sends back header names of bounded length', () => {
    const { reply } = read({ S: [['h'.repeat(5000)], [1]] });
    expect(reply.kind === 'parsed' && reply.header[0]).toBe('h'.repeat(1024));
  });

  it('refuses a sheet wider than Excel allows', () => {
    const wide: FixtureCell[] = [];
    wide[16_384] = 'too far';
    const { reply } = read({ S: [['a'], wide] });
    expect(reply).toEqual({
      kind: 'rejected',
      message: "The sheet 'S' has more than 16384 columns, the most Excel allows.",
    });
  });

  it('reports a file SheetJS cannot read as unreadable', () => {
    const filePath = join(dir, 'garbage.xlsx');
    writeFileSync(filePath, Buffer.from('PK\u0003\u0004 not really a zip'));
    const reply = readWorkbook({ filePath, outPath: join(dir, 'never.ndjson') });
    expect(reply.kind).toBe('unreadable');
  });
});
