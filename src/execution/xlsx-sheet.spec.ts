import * as XLSX from 'xlsx';
import { columnLetters, XlsxColumnSlots, xlsxRow, xlsxTemplate } from './xlsx-sheet';

/** The parts SheetJS writes for a whole sheet, as the download wrote it before streaming. */
function sheetJsParts(names: string[], slots: XlsxColumnSlots[], rows: unknown[][], max: number) {
  const sheet: XLSX.WorkSheet = {};
  names.forEach((v, c) => (sheet[XLSX.utils.encode_cell({ r: 0, c })] = { t: 's', v }));
  rows.forEach((row, r) =>
    slots.forEach((at, c) => {
      const text = at.text >= 0 ? row[at.text] : null;
      const number = at.number >= 0 ? row[at.number] : null;
      const flag = at.bool >= 0 ? row[at.bool] : null;
      let cell: XLSX.CellObject | null = null;
      if (typeof text === 'string') cell = { t: 's', v: text.slice(0, max) };
      else if (typeof number === 'number')
        cell = at.format ? { t: 'n', v: number, z: at.format } : { t: 'n', v: number };
      else if (typeof flag === 'boolean') cell = { t: 'b', v: flag };
      if (cell) sheet[XLSX.utils.encode_cell({ r: r + 1, c })] = cell;
    }),
  );
  sheet['!ref'] = XLSX.utils.encode_range({
    s: { r: 0, c: 0 },
    e: { r: rows.length, c: Math.max(names.length - 1, 0) },
  });
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, sheet, 'output');
  const zip = XLSX.CFB.read(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer, {
    type: 'buffer',
  }) as { FullPaths: string[]; FileIndex: { content: Uint8Array }[] };
  const part = (path: string): string =>
    Buffer.from(zip.FileIndex[zip.FullPaths.indexOf(`Root Entry/${path}`)].content).toString();
  return { sheet: part('xl/worksheets/sheet1.xml'), styles: part('xl/styles.xml') };
}

function streamed(names: string[], slots: XlsxColumnSlots[], rows: unknown[][], max: number) {
  const formats = slots.map((s) => s.format);
  const t = xlsxTemplate(names, formats, rows.length);
  const letters = columnLetters(names.length);
  const body = rows.map((row, i) => xlsxRow(row, i + 2, slots, t.styles, letters, max)).join('');
  const styles = t.parts.find((p) => p.path === 'xl/styles.xml')!.content.toString();
  return { sheet: t.sheetHead + body + t.sheetTail, styles };
}

describe('XLSX sheet rows, written as SheetJS writes them', () => {
  const names = ['id', 'when', 'day', 'at', 'flag', 'note', 'name & <x> "q"\n'];
  const slots: XlsxColumnSlots[] = [
    { number: 0, text: 1, bool: -1 },
    { number: 2, text: 3, bool: -1, format: 'yyyy-mm-dd hh:mm:ss' },
    { number: 4, text: 5, bool: -1, format: 'yyyy-mm-dd' },
    { number: 6, text: -1, bool: -1, format: 'hh:mm:ss' },
    { number: -1, text: -1, bool: 7 },
    { number: -1, text: 8, bool: -1 },
    { number: -1, text: 9, bool: -1 },
  ];
  const texts = [
    'plain',
    '',
    ' lead',
    'trail ',
    'two\nlines',
    'tab\tin',
    '\r\n',
    'ctl\u0001\u001f\u000b\ufffe\uffff',
    '_x0041_ kept',
    '&<>\'"',
    '\u00a0nbsp',
    'emoji 😀',
    'x'.repeat(40),
  ];
  const numbers = [0, -0, 1, -1.5, 1e21, 1e-7, 5e-324, 0.1 + 0.2, 123456789012345, 45000.5];
  const rows: unknown[][] = Array.from({ length: 60 }, (_, i) => [
    i % 7 === 3 ? null : numbers[i % numbers.length],
    i % 11 === 5 ? '9007199254740993' : null,
    i === 0 || i % 5 ? 45000 + i / 7 : null,
    i % 13 === 4 ? '1850-01-01 00:00:00' : null,
    i % 6 ? 45100 + i : null,
    i % 9 === 2 ? '1800-02-03' : null,
    i % 4 ? (i % 24) / 24 : null,
    i % 3 === 0 ? null : i % 2 === 0,
    i % 8 === 7 ? null : texts[i % texts.length],
    texts[(i * 5) % texts.length],
  ]);

  it('matches SheetJS byte for byte: sheet and styles', () => {
    const max = 20;
    expect(streamed(names, slots, rows, max)).toEqual(sheetJsParts(names, slots, rows, max));
  });

  it('matches SheetJS without number formats', () => {
    const plain = slots.map((s) => ({ ...s, format: undefined }));
    expect(streamed(names, plain, rows, 20)).toEqual(sheetJsParts(names, plain, rows, 20));
  });

  it('matches SheetJS for a sheet without rows and for rows without cells', () => {
    expect(streamed(names, slots, [], 10)).toEqual(sheetJsParts(names, slots, [], 10));
    const empty = [Array(10).fill(null), rows[0], Array(10).fill(null)];
    // Styles may declare a format no cell uses (a column whose values are all missing).
    expect(streamed(names, slots, empty, 10).sheet).toEqual(
      sheetJsParts(names, slots, empty, 10).sheet,
    );
  });
});
