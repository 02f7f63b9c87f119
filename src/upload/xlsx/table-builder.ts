import { closeSync, openSync, writeSync } from 'node:fs';
import { ColumnInference, ColumnPlan, isoStringDateTime } from './column-inference';
import { floatify, integralText, NA_STRINGS } from './pandas-numbers';
import {
  dateText,
  dateTimeText,
  Kind,
  pyFloatRepr,
  pyStr,
  PyValue,
  timeText,
  US_PER_DAY,
} from './py-values';
import { RowSink, RowValues, SheetTooLarge } from './sheet-rows';

/**
 * Lays a sheet's rows out as pandas.read_excel does (header row, data rows padded to the
 * widest row, trailing empty rows dropped, blank rows in between kept as rows of missing
 * values) and writes them as CSV for DuckDB, each line `n,c0,c1,...` (n: the data row's
 * ordinal, so that no line is empty; a short line is padded with missing values).
 *
 * The first pass infers each column's dtype while it writes every value in its natural
 * form (Python's str() for numbers and dates, quoted text, 'True'/'False'), which DuckDB
 * reads as the final type for almost every column. When a column needs values rewritten
 * (numbers held as text, booleans in a numeric column, ...), `needsRewrite` says so and
 * the sheet is read again with a builder made with the plans, which writes final forms.
 */
export class TableBuilder implements RowSink {
  private readonly columns: ColumnInference[] = [];
  private readonly nonEmpty: number[] = [];
  private readonly out: CsvOut;
  private readonly scratch: PyValue = { kind: Kind.Empty, a: 0, b: 0 };
  /** Final mode only: the missing value of each column ('' or, for raw text, ""). */
  private readonly blanks?: string[];
  private readonly emptyTail: string = '';
  /** The header row's values (a copy); undefined until seen. */
  header?: PyValue[];
  private lastNonEmptyRow = -1;
  private width = 0;
  private pendingEmpty = 0;
  private longestLine = 0;

  /**
   * Without `plans`: the inferring first pass. With them: the rewriting pass. `maxBytes`
   * bounds the CSV (a small sheet with a far cell on many rows lays out as a huge table).
   */
  constructor(
    private readonly hasHeader: boolean,
    csvPath: string,
    maxBytes: number,
    private readonly plans?: ColumnPlan[],
    maxBytesSetting?: string,
  ) {
    this.out = new CsvOut(csvPath, maxBytes, maxBytesSetting);
    if (plans) {
      this.blanks = plans.map((plan) => (plan.textStyle === 'raw' ? '""' : ''));
      this.emptyTail = `,${this.blanks.join(',')}`;
      this.width = plans.length;
    }
  }

  row(index: number, row: RowValues, length: number): void {
    if (length === 0) {
      if (index >= this.firstDataRow) this.pendingEmpty++;
      return;
    }
    this.lastNonEmptyRow = index;
    if (this.hasHeader && index === 0) {
      this.header = [];
      for (let c = 0; c < length; c++) this.header.push({ ...row.read(c, this.scratch) });
      if (length > this.width) this.width = length;
      return;
    }
    for (; this.pendingEmpty > 0; this.pendingEmpty--) this.emptyLine(index - this.pendingEmpty);
    const ordinal = index - this.firstDataRow;
    if (this.plans) this.finalLine(ordinal, row, length);
    else this.naturalLine(ordinal, row, length);
  }

  private emptyLine(index: number): void {
    const out = this.out;
    out.startLine();
    out.ascii(String(index - this.firstDataRow));
    out.text(this.emptyTail);
    this.endLine();
  }

  private naturalLine(ordinal: number, row: RowValues, length: number): void {
    if (length > this.width) this.width = length;
    // One string per line and one write: far fewer calls into the buffer than per field.
    let line = String(ordinal);
    const kinds = row.kind;
    for (let c = 0; c < length; c++) {
      const kind = kinds[c] as Kind;
      if (kind === Kind.Empty) {
        line += ',';
        continue;
      }
      let column = this.columns[c];
      if (column === undefined) {
        for (let k = this.columns.length; k <= c; k++) {
          this.columns.push(new ColumnInference());
          this.nonEmpty.push(0);
        }
        column = this.columns[c];
      }
      const v = row.read(c, this.scratch);
      column.observe(v);
      this.nonEmpty[c]++;
      line += `,${naturalField(v)}`;
    }
    this.out.startLine();
    this.out.text(line);
    this.endLine();
  }

  private finalLine(ordinal: number, row: RowValues, length: number): void {
    const plans = this.plans ?? [];
    const blanks = this.blanks ?? [];
    const out = this.out;
    out.startLine();
    out.ascii(String(ordinal));
    for (let c = 0; c < plans.length; c++) {
      out.comma();
      const kind = c < length ? (row.kind[c] as Kind) : Kind.Empty;
      out.text(kind === Kind.Empty ? blanks[c] : csvField(row.read(c, this.scratch), plans[c]));
    }
    this.endLine();
  }

  private endLine(): void {
    const bytes = this.out.endLine();
    if (bytes > this.longestLine) this.longestLine = bytes;
  }

  /** Columns of the table: the widest row's length (0 for a sheet without values). */
  get columnCount(): number {
    return this.width;
  }

  /** First data row's index: 1 below a header row. */
  get firstDataRow(): number {
    return this.hasHeader ? 1 : 0;
  }

  /** Data rows: up to the last row with a value, blank rows in between included. */
  get dataRowCount(): number {
    return Math.max(0, this.lastNonEmptyRow + 1 - this.firstDataRow);
  }

  /** Bytes written so far (all of them once finished). */
  get textBytes(): number {
    return this.out.bytes;
  }

  /** Longest line written, in bytes. */
  get maxLineBytes(): number {
    return this.longestLine;
  }

  /** Ends the pass; in the first pass, returns every column's plan. */
  finish(): ColumnPlan[] {
    this.out.close();
    if (this.plans) return this.plans;
    const rows = this.dataRowCount;
    const plans: ColumnPlan[] = [];
    for (let c = 0; c < this.width; c++) {
      const column = this.columns[c] ?? new ColumnInference();
      plans.push(column.plan(rows, this.nonEmpty[c] ?? 0));
    }
    return plans;
  }

  /** After the first pass: whether some column's values must be written again in another form. */
  needsRewrite(plans: ColumnPlan[]): boolean {
    return plans.some((plan, c) => !naturalFormFits(plan, this.columns[c]?.kindsMask() ?? 0));
  }

  /** Python type names of a column's values (for warnings). */
  typeNames(c: number): string[] {
    return this.columns[c]?.typeNames() ?? [];
  }
}

const bit = (...kinds: Kind[]): number => kinds.reduce((mask, k) => mask | (1 << k), 0);
const NUMBER_KINDS = bit(Kind.Int, Kind.BigInt, Kind.Float);

/** Whether DuckDB reads the natural forms of these kinds of values as the plan's values. */
function naturalFormFits(plan: ColumnPlan, kinds: number): boolean {
  const only = (allowed: number): boolean => (kinds & ~allowed) === 0;
  switch (plan.store) {
    case 'VARCHAR':
      // Floats are written as their cell text, which need not be Python's repr.
      if (plan.textStyle === 'raw') return false;
      return only(~bit(Kind.TimeDelta, Kind.Float));
    case 'BIGINT':
    case 'UBIGINT':
    case 'DOUBLE':
      return only(NUMBER_KINDS);
    case 'BOOLEAN':
      return only(bit(Kind.Bool, Kind.Str));
    case 'TIMESTAMP_NS':
      return only(bit(Kind.DateTime, Kind.Date));
    case 'INTERVAL':
    case 'TIME':
    case 'DATE':
      return true;
  }
}

const quote = (text: string): string =>
  text.includes('"') ? `"${text.replace(/"/g, '""')}"` : `"${text}"`;

/**
 * A value's natural CSV field: Python's str() for numbers (or a float's own plain decimal
 * text), booleans and dates, quoted text (nothing for pandas' missing-value strings),
 * microseconds for a timedelta.
 */
function naturalField(v: PyValue): string {
  switch (v.kind) {
    case Kind.Str: {
      const s = v.s ?? '';
      return NA_STRINGS.has(s) ? '' : quote(s);
    }
    case Kind.Int:
      return String(v.a);
    case Kind.Float:
      return v.s ?? pyFloatRepr(v.a);
    case Kind.BigInt:
      return String(v.big);
    case Kind.Bool:
      return v.a ? 'True' : 'False';
    case Kind.DateTime:
      return dateTimeText(v.a, v.b);
    case Kind.Date:
      return dateText(v.a);
    case Kind.Time:
      return timeText(v.b);
    case Kind.TimeDelta:
      return String(v.a * US_PER_DAY + v.b);
    default:
      return '';
  }
}

/** One CSV field for a value in a column of the given plan; '' is missing (NULL). */
export function csvField(v: PyValue, plan: ColumnPlan): string {
  const kind = v.kind;
  if (kind === Kind.NaN) return '';
  if (kind === Kind.Empty) return plan.textStyle === 'raw' ? '""' : '';
  switch (plan.store) {
    case 'VARCHAR':
      if (kind === Kind.Str && plan.textStyle !== 'raw' && NA_STRINGS.has(v.s ?? '')) return '';
      return quote(pyStr(v));
    case 'BIGINT':
    case 'UBIGINT':
      return integerText(v);
    case 'DOUBLE': {
      const x = doubleOf(v);
      return Number.isNaN(x) ? '' : pyFloatRepr(x);
    }
    case 'BOOLEAN':
      if (kind === Kind.Bool) return v.a ? 'true' : 'false';
      if (kind === Kind.Str) {
        const s = v.s ?? '';
        if (NA_STRINGS.has(s)) return '';
        return s === 'True' || s === 'TRUE' || s === 'true' ? 'true' : 'false';
      }
      return '';
    case 'TIMESTAMP_NS':
      return timestampText(v);
    case 'INTERVAL':
      return kind === Kind.TimeDelta ? String(v.a * US_PER_DAY + v.b) : '';
    case 'TIME':
      return kind === Kind.Time ? timeText(v.b) : '';
    case 'DATE':
      return kind === Kind.Date ? dateText(v.a) : '';
  }
}

function integerText(v: PyValue): string {
  switch (v.kind) {
    case Kind.Int:
      return String(v.a);
    case Kind.BigInt:
      return String(v.big);
    case Kind.Bool:
      return v.a ? '1' : '0';
    case Kind.Str:
      return NA_STRINGS.has(v.s ?? '') ? '' : String(integralText(v.s ?? ''));
    default:
      return '';
  }
}

/** The float64 pandas makes of a value in a float column (maybe_convert_numeric's `floats`). */
function doubleOf(v: PyValue): number {
  switch (v.kind) {
    case Kind.Int:
    case Kind.Float:
    case Kind.Bool:
      return v.a;
    case Kind.BigInt:
      return Number(v.big);
    case Kind.Str: {
      const s = v.s ?? '';
      return NA_STRINGS.has(s) ? NaN : (floatify(s)?.value ?? NaN);
    }
    default:
      return NaN;
  }
}

function timestampText(v: PyValue): string {
  if (v.kind === Kind.DateTime) return dateTimeText(v.a, v.b);
  if (v.kind === Kind.Date) return dateText(v.a);
  if (v.kind === Kind.Str) {
    const parsed = NA_STRINGS.has(v.s ?? '') ? null : isoStringDateTime(v.s ?? '');
    return parsed === null || parsed === 'nat' ? '' : dateTimeText(parsed[0], parsed[1]);
  }
  return '';
}

const CHUNK_BYTES = 1 << 20;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** CSV text encoded straight into a buffer that is written out a megabyte at a time. */
class CsvOut {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private lineStart = 0;
  private flushedInLine = 0;

  private written = 0;

  constructor(
    path: string,
    private readonly maxBytes: number,
    private readonly maxBytesSetting?: string,
  ) {
    this.fd = openSync(path, 'w', 0o600);
  }

  startLine(): void {
    this.lineStart = this.used;
    this.flushedInLine = 0;
  }

  /** Ends the line; returns its length in bytes. */
  endLine(): number {
    this.reserve(1);
    this.buf[this.used++] = NEWLINE;
    return this.flushedInLine + this.used - this.lineStart;
  }

  comma(): void {
    this.reserve(1);
    this.buf[this.used++] = COMMA;
  }

  /** Text known to be ASCII (numbers, dates). */
  ascii(text: string): void {
    this.reserve(text.length);
    this.used += this.buf.write(text, this.used, 'latin1');
  }

  text(text: string): void {
    this.reserve(text.length * 3);
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** A quoted CSV field, quotes inside doubled. */
  quoted(text: string): void {
    const body = text.includes('"') ? text.replace(/"/g, '""') : text;
    this.reserve(body.length * 3 + 2);
    const buf = this.buf;
    buf[this.used++] = QUOTE;
    this.used += buf.write(body, this.used, 'utf8');
    buf[this.used++] = QUOTE;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
  }

  private flush(): void {
    this.written += this.used;
    if (this.written > this.maxBytes) {
      const setting = this.maxBytesSetting ? ` (${this.maxBytesSetting})` : '';
      throw new SheetTooLarge(
        `Laid out as a table (every row as wide as the widest, every shared string written out ` +
          `in each cell that uses it), its cells' text would take more than ` +
          `${Math.floor(this.maxBytes / (1024 * 1024))} MB${setting}.`,
      );
    }
    if (this.used > 0) writeSync(this.fd, this.buf, 0, this.used);
    this.flushedInLine += this.used - this.lineStart;
    this.lineStart = 0;
    this.used = 0;
  }

  /** Bytes written to the file so far. */
  get bytes(): number {
    return this.written + this.used;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
