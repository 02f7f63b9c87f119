import { buildZip, ZipFixtureEntry } from './zip-test-fixtures';

/**
 * Workbooks written as raw OOXML, so that a test can state each cell's XML exactly
 * (types, styles, ISO dates, inline strings, the 1904 date system, odd shapes).
 */

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

export interface RawSheet {
  name: string;
  /** The content of `<sheetData>`: rows built with `row()` and `cell()`. */
  rows: string;
  /** XML placed before `<sheetData>`, such as `<dimension ref="A1"/>`. */
  before?: string;
}

export interface RawBook {
  sheets: RawSheet[];
  /** Custom number formats: [numFmtId, formatCode]. */
  numFmts?: [number, string][];
  /** numFmtId of each cellXfs entry; style index i is `s="i"`. Default: [0]. */
  cellXfs?: number[];
  date1904?: boolean;
  /** Inner XML of each `<si>`; a sharedStrings part is written when given. */
  sharedStrings?: string[];
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** XML-escaped text. */
export const xmlText = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A `<c>` element: `value` goes in `<v>` unless `inner` gives the whole content. */
export function cell(
  ref: string | null,
  value?: string | number,
  options: { t?: string; s?: number; inner?: string } = {},
): string {
  let attrs = ref === null ? '' : ` r="${ref}"`;
  if (options.t !== undefined) attrs += ` t="${options.t}"`;
  if (options.s !== undefined) attrs += ` s="${options.s}"`;
  const body = options.inner ?? (value === undefined ? '' : `<v>${xmlText(String(value))}</v>`);
  return `<c${attrs}>${body}</c>`;
}

/** A text cell written as openpyxl writes formula strings (t="str"). */
export const text = (ref: string | null, value: string): string => cell(ref, value, { t: 'str' });

/** A `<row>`; r null leaves the attribute out. */
export const row = (r: number | null, ...cells: string[]): string =>
  `<row${r === null ? '' : ` r="${r}"`}>${cells.join('')}</row>`;

export function rawWorkbook(book: RawBook): Buffer {
  return buildZip(workbookParts(book));
}

/** The ZIP entries of a raw workbook, for tests that alter one before zipping. */
export function workbookParts(book: RawBook): ZipFixtureEntry[] {
  const head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
  const sheetParts = book.sheets.map((_, i) => `xl/worksheets/sheet${i + 1}.xml`);
  const overrides = [
    `<Override PartName="/xl/workbook.xml" ContentType="${CT}.sheet.main+xml"/>`,
    `<Override PartName="/xl/styles.xml" ContentType="${CT}.styles+xml"/>`,
    ...sheetParts.map((p) => `<Override PartName="/${p}" ContentType="${CT}.worksheet+xml"/>`),
    ...(book.sharedStrings
      ? [`<Override PartName="/xl/sharedStrings.xml" ContentType="${CT}.sharedStrings+xml"/>`]
      : []),
  ];
  const numFmts = book.numFmts ?? [];
  const cellXfs = book.cellXfs ?? [0];
  const parts: Record<string, string> = {
    '[Content_Types].xml':
      `${head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      `<Default Extension="xml" ContentType="application/xml"/>${overrides.join('')}</Types>`,
    '_rels/.rels':
      `${head}<Relationships xmlns="${PKG_REL_NS}">` +
      `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml':
      `${head}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
      `<workbookPr${book.date1904 ? ' date1904="1"' : ''}/><sheets>` +
      book.sheets
        .map(
          (s, i) => `<sheet name="${escapeAttr(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`,
        )
        .join('') +
      '</sheets></workbook>',
    'xl/_rels/workbook.xml.rels':
      `${head}<Relationships xmlns="${PKG_REL_NS}">` +
      sheetParts
        .map(
          (p, i) =>
            `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="${p.slice(3)}"/>`,
        )
        .join('') +
      `<Relationship Id="rIdS" Type="${REL_NS}/styles" Target="styles.xml"/>` +
      (book.sharedStrings
        ? `<Relationship Id="rIdT" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>`
        : '') +
      '</Relationships>',
    'xl/styles.xml':
      `${head}<styleSheet xmlns="${MAIN_NS}"><numFmts count="${numFmts.length}">` +
      numFmts
        .map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${escapeAttr(code)}"/>`)
        .join('') +
      '</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>' +
      '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>' +
      '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
      '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
      `<cellXfs count="${cellXfs.length}">` +
      cellXfs
        .map(
          (id) =>
            `<xf numFmtId="${id}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`,
        )
        .join('') +
      '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
  };
  book.sheets.forEach((s, i) => {
    parts[sheetParts[i]] =
      `${head}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">${s.before ?? ''}` +
      `<sheetData>${s.rows}</sheetData></worksheet>`;
  });
  if (book.sharedStrings) {
    parts['xl/sharedStrings.xml'] =
      `${head}<sst xmlns="${MAIN_NS}" count="${book.sharedStrings.length}" uniqueCount="${book.sharedStrings.length}">` +
      book.sharedStrings.map((si) => `<si>${si}</si>`).join('') +
      '</sst>';
  }
  return Object.entries(parts).map(([name, xml]) => ({ name, data: Buffer.from(xml, 'utf8') }));
}

/** A one-sheet workbook named 'S' from rows, with optional styles. */
export function oneSheet(rows: string[], options: Omit<RawBook, 'sheets'> = {}): Buffer {
  return rawWorkbook({ ...options, sheets: [{ name: 'S', rows: rows.join('') }] });
}
