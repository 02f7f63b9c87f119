import type { CellObject } from 'xlsx';

/**
 * Turns a parsed worksheet into a typed table: finds the header, drops empty rows,
 * infers one DuckDB type per column and writes the rows as NDJSON lines.
 * Runs inside the parse worker; pure apart from the SheetJS format test it is given.
 */

/** A cell after conversion: dates are real dates (UTC), errors and blanks are null. */
export type CellValue = string | number | boolean | Date | null;
export type ColumnType = 'BOOLEAN' | 'BIGINT' | 'DOUBLE' | 'TIMESTAMP' | 'VARCHAR';

const MS_PER_DAY = 86_400_000;
/** Day serial of 1970-01-01 in Excel's 1900 date system (which counts a fictitious 1900-02-29). */
const UNIX_EPOCH_SERIAL_1900 = 25_569;
/** Serials before 1900-03-01 precede the fictitious leap day, so they sit one day later. */
const FIRST_SERIAL_AFTER_FAKE_LEAP_DAY = 61;
/** Day serial of 1970-01-01 in the 1904 date system (old Mac workbooks). */
const UNIX_EPOCH_SERIAL_1904 = 24_107;
/** 9999-12-31 23:59:59.999 UTC, the last instant Excel can show. */
const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Converts an Excel day serial to a UTC date; null when it is outside what Excel can show. */
export function excelSerialToDate(serial: number, date1904: boolean): Date | null {
  if (!Number.isFinite(serial) || serial < 0) return null;
  let epochSerial = UNIX_EPOCH_SERIAL_1904;
  if (!date1904) {
    epochSerial =
      serial < FIRST_SERIAL_AFTER_FAKE_LEAP_DAY
        ? UNIX_EPOCH_SERIAL_1900 - 1
        : UNIX_EPOCH_SERIAL_1900;
  }
  // Excel stores times as day fractions; rounding to the millisecond removes float noise.
  const ms = Math.round((serial - epochSerial) * MS_PER_DAY);
  return ms > MAX_DATE_MS ? null : new Date(ms);
}

interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
/** Lone surrogates (possible in crafted XML) make DuckDB's JSON reader fail; replace them. */
function wellFormed(text: string): string {
  const s = text as unknown as WellFormedString;
  return s.isWellFormed() ? text : s.toWellFormed();
}

/**
 * Reads one SheetJS cell (parsed with cellDates off, cellNF on). Numbers whose number
 * format is a date format become dates; we convert the serial ourselves, in UTC, because
 * SheetJS 0.18's cellDates goes through the local time zone and ignores the 1904 system.
 */
export function cellValue(
  cell: CellObject | undefined,
  date1904: boolean,
  isDateFormat: (format: string) => boolean,
): CellValue {
  if (!cell) return null;
  const v = cell.v;
  switch (cell.t) {
    case 'b':
      return typeof v === 'boolean' ? v : null;
    case 'n': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return null;
      if (typeof cell.z === 'string' && isDateFormat(cell.z))
        return excelSerialToDate(v, date1904) ?? v;
      return v;
    }
    case 's':
      return typeof v === 'string' && v !== '' ? wellFormed(v) : null;
    case 'd':
      return v instanceof Date && !isNaN(v.getTime()) ? v : null;
    default:
      // 'e' (#DIV/0!, #N/A, ...) and 'z' (blank stub) carry no value.
      return null;
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: the form DuckDB reads as TIMESTAMP. */
export function timestampText(d: Date): string {
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** The text of a value in a column of mixed types (and of a header cell). */
export function cellText(value: Exclude<CellValue, null>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  const full = timestampText(value);
  if (full.endsWith(' 00:00:00.000')) return full.slice(0, 10);
  return full.endsWith('.000') ? full.slice(0, -4) : full;
}

const SEEN_BOOLEAN = 1;
const SEEN_INTEGER = 2;
const SEEN_FRACTION = 4;
const SEEN_DATE = 8;
const SEEN_TEXT = 16;
const SEEN_NUMBER = SEEN_INTEGER | SEEN_FRACTION;

/** Tracks the kinds of value seen in one column and names the narrowest type that holds them all. */
export class ColumnTypeTracker {
  private seen = 0;

  observe(value: CellValue): void {
    if (value === null) return;
    if (typeof value === 'boolean') this.seen |= SEEN_BOOLEAN;
    else if (typeof value === 'number')
      this.seen |= Number.isSafeInteger(value) ? SEEN_INTEGER : SEEN_FRACTION;
    else if (typeof value === 'string') this.seen |= SEEN_TEXT;
    else this.seen |= SEEN_DATE;
  }

  get type(): ColumnType {
    switch (true) {
      case this.seen === SEEN_BOOLEAN:
        return 'BOOLEAN';
      case this.seen === SEEN_INTEGER:
        return 'BIGINT';
      case this.seen !== 0 && (this.seen & ~SEEN_NUMBER) === 0:
        return 'DOUBLE';
      case this.seen === SEEN_DATE:
        return 'TIMESTAMP';
      default:
        // Mixed kinds, text, or no value at all.
        return 'VARCHAR';
    }
  }
}

/** Sheet rows by index, converted to values; undefined (or holes) for rows the file does not have. */
export interface RowSource {
  readonly length: number;
  row(index: number): readonly CellValue[] | undefined;
}

export interface TablePlan {
  /** Index of the header row in the source. */
  headerRow: number;
  /** Source column of the table's first column: leading columns that are empty throughout are left out. */
  firstColumn: number;
  /** One name per column; null where the header cell is blank (data beyond the header included). */
  header: (string | null)[];
  types: ColumnType[];
  /** Data rows: rows after the header that have at least one value. */
  rowCount: number;
}

function headerText(value: CellValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = cellText(value);
  return text.trim() === '' ? null : text;
}

/**
 * First pass: the header is the first row with a value; after it, rows with no value
 * at all are dropped (inner and trailing alike) and partly filled rows are kept.
 * Returns null when the sheet holds no value.
 */
export function planTable(source: RowSource): TablePlan | null {
  let headerRow = -1;
  let headerValues: readonly CellValue[] = [];
  let minColumn = Number.POSITIVE_INFINITY;
  let maxColumn = -1;
  let rowCount = 0;
  const trackers: ColumnTypeTracker[] = [];

  for (let r = 0; r < source.length; r++) {
    const row = source.row(r);
    if (!row) continue;
    let hasValue = false;
    for (let c = 0; c < row.length; c++) {
      const value = row[c];
      if (value === null || value === undefined) continue;
      hasValue = true;
      if (c < minColumn) minColumn = c;
      if (c > maxColumn) maxColumn = c;
      if (headerRow !== -1) (trackers[c] ??= new ColumnTypeTracker()).observe(value);
    }
    if (!hasValue) continue;
    if (headerRow === -1) {
      headerRow = r;
      headerValues = row;
    } else {
      rowCount++;
    }
  }
  if (headerRow === -1) return null;

  const header: (string | null)[] = [];
  const types: ColumnType[] = [];
  for (let c = minColumn; c <= maxColumn; c++) {
    header.push(headerText(headerValues[c]));
    types.push(trackers[c]?.type ?? 'VARCHAR');
  }
  return { headerRow, firstColumn: minColumn, header, types, rowCount };
}

/** A value as JSON for a column of the given type (never called with null). */
function jsonValue(value: Exclude<CellValue, null>, type: ColumnType): string {
  switch (type) {
    case 'BOOLEAN':
    case 'BIGINT':
    case 'DOUBLE':
      return String(value);
    case 'TIMESTAMP':
      return `"${timestampText(value as Date)}"`;
    case 'VARCHAR':
      return JSON.stringify(cellText(value));
  }
}

/**
 * Second pass: one NDJSON object per data row, `{"n": <ordinal>, "c0": ..., "c1": ...}`
 * with positional keys and nulls left out; `n` keeps file order explicit for the loader.
 */
export function* ndjsonLines(source: RowSource, plan: TablePlan): Generator<string> {
  const width = plan.types.length;
  let ordinal = 0;
  for (let r = plan.headerRow + 1; r < source.length; r++) {
    const row = source.row(r);
    if (!row) continue;
    let fields = '';
    for (let i = 0; i < width; i++) {
      const value = row[plan.firstColumn + i];
      if (value === null || value === undefined) continue;
      fields += `,"c${i}":${jsonValue(value, plan.types[i])}`;
    }
    if (fields === '') continue;
    yield `{"n":${ordinal++}${fields}}\n`;
  }
}
