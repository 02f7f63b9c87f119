import { castNumber, narrowInt, pyFloat, pyInt } from './pandas-numbers';
import { CellValueError, fromExcelSerial, fromIso8601, Kind, PyValue } from './py-values';
import { RawCell, SheetEvents } from './sheet-xml';

/**
 * Turns the cells of a worksheet into the rows pandas.read_excel builds from them:
 * openpyxl's read-only worksheet (`_cells_by_row` / `_get_row` / `parse_cell`, with the
 * sheet's `<dimension>` reset as pandas does) and pandas' `_convert_cell` and
 * `get_sheet_data` (trailing empty cells dropped).
 */

/** Columns A..XFD: the most Excel allows. Wider sheets are refused (openpyxl reads up to ZZZ). */
export const MAX_COLUMNS = 16_384;
/** Rows 1..1,048,576: the most Excel allows. A row number beyond it is refused. */
export const MAX_ROWS = 1_048_576;

/** What the rows feed into; a row's values are only valid during the call. */
export interface RowSink {
  /**
   * One row of the sheet in order (rows the file skips are passed as empty rows):
   * `row.values[0..length)`, trailing Empty values already dropped.
   */
  row(index: number, row: RowValues, length: number): void;
}

/** The values of one row, by column (0-based), as parallel arrays (no object per cell). */
export class RowValues {
  readonly kind = new Uint8Array(MAX_COLUMNS);
  readonly a = new Float64Array(MAX_COLUMNS);
  readonly b = new Float64Array(MAX_COLUMNS);
  readonly s: (string | undefined)[] = new Array<string | undefined>(MAX_COLUMNS);
  readonly big: (bigint | undefined)[] = new Array<bigint | undefined>(MAX_COLUMNS);

  /** Copies column `c` into `out`. */
  read(c: number, out: PyValue): PyValue {
    out.kind = this.kind[c];
    out.a = this.a[c];
    out.b = this.b[c];
    out.s = this.s[c];
    out.big = this.big[c];
    return out;
  }

  write(c: number, v: PyValue): void {
    this.kind[c] = v.kind;
    this.a[c] = v.a;
    this.b[c] = v.b;
    this.s[c] = v.s;
    this.big[c] = v.big;
  }
}

/** What a workbook's cells need to be read: shared strings, date styles, the date system. */
export interface CellContext {
  sharedStrings: readonly string[];
  /** cellXfs indexes whose number format is a date format. */
  dateStyles: ReadonlySet<number>;
  date1904: boolean;
}

/** A cell cannot be read as openpyxl reads it (pandas.read_excel raises); `cell` is its reference. */
export class UnreadableCell extends Error {
  constructor(
    readonly cell: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** A sheet beyond Excel's limits; `message` is for the person. */
export class SheetTooLarge extends Error {}

/**
 * Column number (1-based) of an A1 reference (`$` allowed), as openpyxl's
 * coordinate_to_tuple reads it; null when invalid (1-3 letters, then a row above 0).
 */
export function columnOfReference(ref: string): number | null {
  const n = ref.length;
  let i = ref.charCodeAt(0) === 0x24 ? 1 : 0;
  let column = 0;
  const lettersStart = i;
  for (; i < n; i++) {
    const c = ref.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    column = column * 26 + (c - 0x60);
  }
  const letters = i - lettersStart;
  if (letters < 1 || letters > 3) return null;
  if (ref.charCodeAt(i) === 0x24) i++;
  if (i === n) return null;
  let nonZero = false;
  for (; i < n; i++) {
    const d = ref.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    if (d !== 0) nonZero = true;
  }
  return nonZero ? column : null;
}

/** A1 name of a column number (1-based), for messages. */
export function columnName(column: number): string {
  let name = '';
  for (let c = column; c > 0; c = Math.floor((c - 1) / 26))
    name = String.fromCharCode(65 + ((c - 1) % 26)) + name;
  return name;
}

/** openpyxl parse_row: `int(r)`, or a float that is integral. */
function rowNumber(r: string): number | null {
  const asInt = pyInt(r);
  if (asInt !== null) return typeof asInt === 'bigint' ? Number(asInt) : asInt;
  const f = pyFloat(r);
  return f !== null && Number.isInteger(f) ? f : null;
}

/**
 * openpyxl's `parse_cell` (data_only) followed by pandas' `_convert_cell` (convert_float):
 * writes the Python value into `out`. Returns true when a date-formatted number had no
 * date (openpyxl turns it into an error cell, NaN). Throws CellValueError where they raise.
 */
export function convertCell(cell: RawCell, ctx: CellContext, out: PyValue): boolean {
  out.a = out.b = 0;
  out.s = out.big = undefined;
  const type = cell.type ?? 'n';
  const value = type === 'inlineStr' || cell.value === '' ? undefined : cell.value;
  if (value === undefined) {
    if (type === 'inlineStr' && cell.inline) {
      out.kind = Kind.Str;
      out.s = cell.inline;
    } else {
      out.kind = Kind.Empty;
    }
    return false;
  }
  switch (type) {
    case 'n':
      return convertNumber(value, cell.style, ctx, out);
    case 's': {
      const index = pyInt(value);
      if (index === null || typeof index === 'bigint')
        throw new CellValueError(`shared string index ${value}`);
      const strings = ctx.sharedStrings;
      // A negative index counts from the end, as a Python list does.
      const text = strings[index < 0 ? strings.length + index : index];
      if (text === undefined || index < -strings.length)
        throw new CellValueError('list index out of range');
      setText(out, text);
      return false;
    }
    case 'b': {
      const flag = pyInt(value);
      if (flag === null) throw new CellValueError(`invalid literal for int(): '${value}'`);
      out.kind = Kind.Bool;
      out.a = flag === 0 || flag === 0n ? 0 : 1;
      return false;
    }
    case 'd':
      fromIso8601(value, out);
      return false;
    case 'e':
      out.kind = Kind.NaN;
      return false;
    default:
      // 'str', and types openpyxl does not know, keep the text as it is.
      setText(out, value);
      return false;
  }
}

function setText(out: PyValue, text: string): void {
  if (text === '') {
    out.kind = Kind.Empty;
  } else {
    out.kind = Kind.Str;
    out.s = text;
  }
}

function styleIndex(style: string | undefined): number | undefined {
  if (style === undefined) return 0;
  if (style === '') return undefined;
  const index = pyInt(style);
  if (index === null) throw new CellValueError(`invalid style index '${style}'`);
  return typeof index === 'number' ? index : undefined;
}

function convertNumber(
  text: string,
  style: string | undefined,
  ctx: CellContext,
  out: PyValue,
): boolean {
  const cast = castNumber(text);
  if (!cast) throw new CellValueError(`'${text}' is not a number`);
  const s = styleIndex(style);
  if (s !== undefined && ctx.dateStyles.has(s)) {
    const serial = 'float' in cast ? cast.float : cast.int;
    const ok = typeof serial === 'number' && fromExcelSerial(serial, ctx.date1904, out);
    if (!ok) out.kind = Kind.NaN;
    return !ok;
  }
  if ('int' in cast) {
    setInt(out, cast.int);
    return false;
  }
  const f = cast.float;
  if (!Number.isFinite(f)) throw new CellValueError('cannot convert float infinity to integer');
  if (Number.isInteger(f)) {
    // convert_float: an integral float becomes an int (exactly: BigInt(f) keeps every bit).
    setInt(out, Number.isSafeInteger(f) ? f : narrowInt(BigInt(f)));
  } else {
    out.kind = Kind.Float;
    out.a = f;
    // Plain decimal text reads back as the same double: the CSV can carry it as it is.
    if (isPlainDecimal(text)) out.s = text;
  }
  return false;
}

/** `-?digits.digits`, nothing else. */
function isPlainDecimal(text: string): boolean {
  let i = text.charCodeAt(0) === 0x2d ? 1 : 0;
  let dot = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e && dot === -1) dot = i;
    else if (c < 0x30 || c > 0x39) return false;
  }
  const start = text.charCodeAt(0) === 0x2d ? 1 : 0;
  return dot > start && dot < text.length - 1;
}

function setInt(out: PyValue, value: number | bigint): void {
  if (typeof value === 'number') {
    out.kind = Kind.Int;
    out.a = value === 0 ? 0 : value;
  } else {
    out.kind = Kind.BigInt;
    out.big = value;
  }
}

/**
 * Receives the sheet XML's rows and cells and hands complete rows to a RowSink. Counts the
 * date-formatted cells whose number is no date (pandas reads them as NaN).
 */
export class SheetRowAssembler implements SheetEvents {
  private readonly values = new RowValues();
  private readonly scratch: PyValue = { kind: Kind.Empty, a: 0, b: 0 };
  private readonly touched: number[] = [];
  /** openpyxl's row counter (the r of the last row) and column counter. */
  private rowCounter = 0;
  private colCounter = 0;
  /** The next row number to hand on (openpyxl's `counter`, from min_row 1). */
  private nextRow = 1;
  private currentRow = 0;
  private lastColumn = 0;
  private emitted = 0;
  invalidDates = 0;
  firstInvalidDate?: string;

  constructor(
    private readonly ctx: CellContext,
    private readonly sink: RowSink,
  ) {}

  rowStart(r: string | undefined): void {
    let index = this.rowCounter + 1;
    if (r !== undefined) {
      const parsed = rowNumber(r);
      if (parsed === null) throw new UnreadableCell(`row ${r}`, `${r} is not a valid row number`);
      index = parsed;
    }
    if (index > MAX_ROWS)
      throw new SheetTooLarge(
        `It has a row numbered ${index}, beyond the ${MAX_ROWS.toLocaleString('en-US')} rows Excel allows.`,
      );
    this.rowCounter = index;
    this.currentRow = index;
    this.colCounter = 0;
    this.lastColumn = 0;
  }

  cell(raw: RawCell): void {
    let column: number;
    if (raw.ref) {
      const parsed = columnOfReference(raw.ref);
      if (parsed === null)
        throw new UnreadableCell(raw.ref, `'${raw.ref}' is not a valid cell reference`);
      column = parsed;
    } else {
      column = this.colCounter + 1;
    }
    this.colCounter = column;
    if (column > MAX_COLUMNS)
      throw new SheetTooLarge(
        `It has a cell in column ${columnName(column)}, beyond the ${MAX_COLUMNS.toLocaleString('en-US')} columns (A to XFD) Excel allows.`,
      );
    const v = this.scratch;
    try {
      if (convertCell(raw, this.ctx, v)) {
        this.invalidDates++;
        this.firstInvalidDate ??= raw.ref ?? `${columnName(column)}${this.currentRow}`;
      }
    } catch (error) {
      if (error instanceof CellValueError)
        throw new UnreadableCell(
          raw.ref ?? `${columnName(column)}${this.currentRow}`,
          error.message,
        );
      throw error;
    }
    this.values.write(column - 1, v);
    this.touched.push(column - 1);
    this.lastColumn = column;
  }

  rowEnd(): void {
    const index = this.currentRow;
    // openpyxl yields an empty row for each row number the file skips, and drops a row
    // whose number is not above the previous one's.
    while (this.nextRow < index) this.emit(0, false);
    if (this.nextRow <= index) {
      // The row is as wide as its last cell's column; cells further right are dropped.
      let length = this.lastColumn;
      const kinds = this.values.kind;
      while (length > 0 && (kinds[length - 1] as Kind) === Kind.Empty) length--;
      this.emit(length, true);
    }
    for (const c of this.touched) this.values.kind[c] = Kind.Empty;
    this.touched.length = 0;
  }

  private emit(length: number, own: boolean): void {
    if (own && length > 0 && this.emitted === 0) this.stripBom();
    this.sink.row(this.emitted++, this.values, own ? length : 0);
    this.nextRow++;
  }

  /** pandas' PythonParser._check_for_bom on the first row's first value. */
  private stripBom(): void {
    const first = this.values.s[0];
    if ((this.values.kind[0] as Kind) !== Kind.Str || first === undefined || first[0] !== '\ufeff')
      return;
    let text = first.slice(1);
    if (first.length > 1 && first[1] === '"') {
      const end = first.indexOf('"', 2);
      if (end !== -1) text = first.slice(2, end) + first.slice(end + 1);
    }
    this.values.s[0] = text;
    if (text === '') this.values.kind[0] = Kind.Empty;
  }
}
