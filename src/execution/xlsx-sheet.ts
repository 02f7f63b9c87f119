import * as XLSX from 'xlsx';

/**
 * The XLSX download written as a stream. SheetJS has no streaming writer and holds the
 * whole workbook in memory (a 100,000 x 40 output: ~1.6 GB of server memory and 40 s of
 * one thread, bench/responsiveness.bench.ts). So SheetJS still writes every part of a
 * workbook with the same header and number formats but no data rows, and only the rows
 * are written here, cell by cell as SheetJS 0.20.3 writes them (write_ws_xml_cell,
 * escapexml, writetag, writextag), so that types and spelling stay SheetJS's.
 */

/** Where one output column's values are in a row of the export query, and its number format. */
export interface XlsxColumnSlots {
  /** Indexes into the row (-1: this column has no such value). */
  number: number;
  text: number;
  bool: number;
  format?: string;
}

export interface XlsxTemplate {
  /** Every part but the sheet, in SheetJS's order; the sheet goes at `sheetAt`. */
  parts: { path: string; content: Buffer }[];
  sheetPath: string;
  sheetAt: number;
  /** The sheet's XML before the first data row (header row included) and after the last. */
  sheetHead: string;
  sheetTail: string;
  /** `s` attribute of each column's number cells ('' when it has no format). */
  styles: string[];
}

/** What SheetJS's bundled CFB library reads from a ZIP (entry type 2: a file). */
interface SheetJsZip {
  FullPaths: string[];
  FileIndex: { type: number; content: Uint8Array | number[] }[];
}

const SHEET_PATH = 'xl/worksheets/sheet1.xml';
const SHEETJS_MARKER = '\u0001Sh33tJ5';

/** SheetJS's escapexml. */
const XML_SPECIALS = /[&<>'"]/g;
const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  "'": '&apos;',
  '"': '&quot;',
};
// eslint-disable-next-line no-control-regex -- these are the characters XML cannot hold
const XML_CONTROLS = /[\u0000-\u0008\u000b-\u001f\uFFFE-\uFFFF]/g;
/** SheetJS's wtregex: such text gets xml:space="preserve". */
const PRESERVE = /(^\s|\s$|\n)/;

export function escapeXml(text: string): string {
  return text
    .replace(XML_SPECIALS, (c) => XML_ENTITIES[c])
    .replace(XML_CONTROLS, (c) => `_x${c.charCodeAt(0).toString(16).padStart(4, '0')}_`);
}

const preserve = (inner: string): string => (PRESERVE.test(inner) ? ' xml:space="preserve"' : '');

/** `A`, `B`, ..., `Z`, `AA`, ... */
export function columnLetters(count: number): string[] {
  return Array.from({ length: count }, (_, c) => XLSX.utils.encode_col(c));
}

/**
 * SheetJS's parts for a sheet of `rows` data rows under `names`: the header row and
 * every number format in use (one number cell per format in a row that is dropped).
 */
export function xlsxTemplate(
  names: string[],
  formats: (string | undefined)[],
  rows: number,
): XlsxTemplate {
  const sheet: XLSX.WorkSheet = {};
  names.forEach((name, c) => (sheet[XLSX.utils.encode_cell({ r: 0, c })] = { t: 's', v: name }));
  const distinct = [...new Set(formats.filter((f): f is string => !!f))];
  if (rows > 0)
    distinct.forEach((z, c) => (sheet[XLSX.utils.encode_cell({ r: 1, c })] = { t: 'n', v: 0, z }));
  sheet['!ref'] = XLSX.utils.encode_range({
    s: { r: 0, c: 0 },
    e: { r: rows, c: Math.max(names.length - 1, 0) },
  });
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, sheet, 'output');
  const written = XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
  // SheetJS types its bundled CFB library as any.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access
  const zip = XLSX.CFB.read(written, { type: 'buffer' }) as SheetJsZip;
  const parts = zip.FileIndex.flatMap((entry, i) => {
    const path = zip.FullPaths[i].slice(zip.FullPaths[0].length);
    return entry.type === 2 && path !== SHEETJS_MARKER
      ? [{ path, content: Buffer.from(entry.content) }]
      : [];
  });
  const sheetAt = parts.findIndex((p) => p.path === SHEET_PATH);
  const xml = parts[sheetAt].content.toString('utf8');
  const tailAt = xml.indexOf('</sheetData>');
  const formatRow = xml.indexOf('<row r="2"');
  const dataAt = formatRow >= 0 ? formatRow : tailAt;
  // SheetJS numbers cell styles in order of first use, after the default style 0.
  const styles = formats.map((f) => (f ? String(distinct.indexOf(f) + 1) : ''));
  parts.splice(sheetAt, 1);
  return {
    parts,
    sheetPath: SHEET_PATH,
    sheetAt,
    sheetHead: xml.slice(0, dataAt),
    sheetTail: xml.slice(tailAt),
    styles,
  };
}

/**
 * One data row's XML (`r` is the 1-based row number), or '' when it has no cell: the
 * text when present (cut to `maxChars`), else the number, else the boolean.
 */
export function xlsxRow(
  values: readonly unknown[],
  r: number,
  slots: readonly XlsxColumnSlots[],
  styles: readonly string[],
  letters: readonly string[],
  maxChars: number,
): string {
  let cells = '';
  for (let j = 0; j < slots.length; j++) {
    const at = slots[j];
    const text = at.text >= 0 ? values[at.text] : null;
    const ref = `${letters[j]}${r}`;
    if (typeof text === 'string') {
      const escaped = escapeXml(text.slice(0, maxChars));
      const v = `<v${preserve(escaped)}>${escaped}</v>`;
      cells += `<c r="${ref}" t="str"${preserve(v)}>${v}</c>`;
      continue;
    }
    const number = at.number >= 0 ? values[at.number] : null;
    if (typeof number === 'number') {
      const s = styles[j] ? ` s="${styles[j]}"` : '';
      cells += `<c r="${ref}"${s}><v>${String(number)}</v></c>`;
      continue;
    }
    const flag = at.bool >= 0 ? values[at.bool] : null;
    if (typeof flag === 'boolean') cells += `<c r="${ref}" t="b"><v>${flag ? 1 : 0}</v></c>`;
  }
  return cells ? `<row r="${r}"${preserve(cells)}>${cells}</row>` : '';
}
