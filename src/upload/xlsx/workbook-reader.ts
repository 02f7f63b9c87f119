import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import * as XLSX from 'xlsx';
import type { CellObject, WorkSheet } from 'xlsx';
import { CellValue, cellValue, ndjsonLines, planTable, RowSource } from './sheet-table';
import { XlsxParseReply, XlsxParseRequest } from './xlsx-parse.messages';

/** Buffered NDJSON is written out in chunks of about this many characters. */
const WRITE_CHUNK_CHARS = 1 << 20;
/** A UTF-16 code unit takes at most 3 bytes in UTF-8 (surrogate pairs take 4 for 2 units). */
const MAX_UTF8_BYTES_PER_CODE_UNIT = 3;
/** Columns A..XFD; a crafted sheet may claim more. */
const EXCEL_MAX_COLUMNS = 16_384;
const MAX_HEADER_CHARS = 1024;

const SSF = XLSX.SSF as { is_date(format: string): boolean };

const PARSING_OPTIONS: XLSX.ParsingOptions = {
  type: 'buffer',
  // Rows as arrays: far less memory than one object key per cell.
  dense: true,
  // Number formats tell dates from numbers; formatted text, formulas, styles are not needed.
  cellNF: true,
  cellText: false,
  cellDates: false,
  cellFormula: false,
  cellHTML: false,
  cellStyles: false,
  sheetStubs: false,
  bookVBA: false,
};

function quoted(names: string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

function sheetsHint(names: string[]): string {
  return names.length > 1
    ? ` The workbook's sheets are ${quoted(names)}: choose one with the 'sheet' field.`
    : '';
}

function pickSheet(names: string[], requested: string | undefined): string | undefined {
  if (requested === undefined) return names[0];
  // Excel sheet names are unique regardless of case, so a case-insensitive match is unambiguous.
  return (
    names.find((n) => n === requested) ??
    names.find((n) => n.toLowerCase() === requested.toLowerCase())
  );
}

function denseRows(ws: WorkSheet, date1904: boolean): RowSource {
  const rows = ws as unknown as (CellObject[] | undefined)[];
  const dateFormats = new Map<string, boolean>();
  const isDateFormat = (format: string): boolean => {
    let isDate = dateFormats.get(format);
    if (isDate === undefined) {
      try {
        isDate = SSF.is_date(format);
      } catch {
        isDate = false;
      }
      dateFormats.set(format, isDate);
    }
    return isDate;
  };
  return {
    length: rows.length,
    row(index) {
      const cells = rows[index];
      if (!cells) return undefined;
      const values = new Array<CellValue>(cells.length);
      for (let c = 0; c < cells.length; c++)
        values[c] = cellValue(cells[c], date1904, isDateFormat);
      return values;
    },
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads one sheet of the workbook at `filePath` and writes its data rows to `outPath`
 * as NDJSON. Meant to run in a worker thread: SheetJS parsing is synchronous, may be
 * slow and memory-hungry, and must not touch the server's own realm.
 */
export function readWorkbook(request: XlsxParseRequest): XlsxParseReply {
  let wb: XLSX.WorkBook;
  try {
    wb = XLSX.read(readFileSync(request.filePath), {
      ...PARSING_OPTIONS,
      sheets: request.sheet ?? 0,
    });
  } catch (error) {
    // RangeError: string/array/buffer limits or recursion depth, i.e. the file is too big or deep.
    return {
      kind: error instanceof RangeError ? 'too-large' : 'unreadable',
      reason: reasonOf(error),
    };
  }
  try {
    return writeSheet(wb, request);
  } catch (error) {
    if (error instanceof RangeError) return { kind: 'too-large', reason: reasonOf(error) };
    throw error;
  }
}

function writeSheet(wb: XLSX.WorkBook, request: XlsxParseRequest): XlsxParseReply {
  const names = wb.SheetNames ?? [];
  if (names.length === 0) return { kind: 'rejected', message: 'The workbook has no sheets.' };
  const name = pickSheet(names, request.sheet);
  if (name === undefined) {
    return {
      kind: 'rejected',
      message: `The workbook has no sheet named '${request.sheet}'. Its sheets are ${quoted(names)}.`,
    };
  }
  const ws = wb.Sheets[name] as WorkSheet | undefined;
  if (!ws) {
    return {
      kind: 'rejected',
      message: `The sheet '${name}' could not be read: the workbook is damaged (its data for that sheet is missing).${sheetsHint(names)}`,
    };
  }
  if (!Array.isArray(ws)) {
    // Chart, macro and dialog sheets come back without cell rows.
    const what = ws['!type'] === 'chart' ? 'a chart' : 'a kind of sheet';
    return {
      kind: 'rejected',
      message: `The sheet '${name}' is ${what} without a table of data.${sheetsHint(names)}`,
    };
  }

  const source = denseRows(ws, Boolean(wb.Workbook?.WBProps?.date1904));
  const plan = planTable(source);
  if (!plan) {
    return { kind: 'rejected', message: `The sheet '${name}' is empty.${sheetsHint(names)}` };
  }
  if (plan.header.length > EXCEL_MAX_COLUMNS) {
    return {
      kind: 'rejected',
      message: `The sheet '${name}' has more than ${EXCEL_MAX_COLUMNS} columns, the most Excel allows.`,
    };
  }

  const fd = openSync(request.outPath, 'wx');
  let maxLineLength = 0;
  try {
    let chunk = '';
    for (const line of ndjsonLines(source, plan)) {
      if (line.length > maxLineLength) maxLineLength = line.length;
      chunk += line;
      if (chunk.length >= WRITE_CHUNK_CHARS) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk !== '') writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }

  return {
    kind: 'parsed',
    sheets: names,
    // Only a bounded name crosses back to the server (column names are cut far shorter there).
    header: plan.header.map((h) => (h === null ? null : h.slice(0, MAX_HEADER_CHARS))),
    types: plan.types,
    rowCount: plan.rowCount,
    maxLineBytes: maxLineLength * MAX_UTF8_BYTES_PER_CODE_UNIT,
  };
}
