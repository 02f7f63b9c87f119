import {
  floatify,
  INT64_MAX,
  INT64_MIN,
  integralText,
  NA_STRINGS,
  UINT64_MAX,
} from './pandas-numbers';
import { daysFromCivil, Kind, pyStr, PyValue, US_PER_DAY } from './py-values';

/**
 * The dtype pandas gives a column of Python values, found in one pass so that rows can
 * stream. It follows what `read_excel` does with the values openpyxl returns
 * (pandas 1.5.3): `TextParser._infer_types` (lib.maybe_convert_numeric with the default
 * missing-value strings, then libops.maybe_convert_bool) and, when the DataFrame is
 * built, `maybe_infer_to_datetimelike` for the object columns that are left.
 */

/** How a column is stored in DuckDB, and the dtype `transform(df)` sees. */
export type ColumnStore =
  | 'BIGINT'
  | 'UBIGINT'
  | 'DOUBLE'
  | 'BOOLEAN'
  | 'TIMESTAMP_NS'
  | 'INTERVAL'
  | 'TIME'
  | 'DATE'
  | 'VARCHAR';

/**
 * How values of a VARCHAR column are written: `text` only str values (pandas' missing
 * strings are missing); `python` every value as Python's str() of it; `raw` the same but
 * without pandas' missing-value step (the uint64 conflict, where pandas keeps '' and 'NA').
 */
export type TextStyle = 'text' | 'python' | 'raw';

/** Why a column does not hold exactly what pandas would. */
export type Divergence =
  /** Values of several Python types (say int and str): all arrive as their str(). */
  | 'mixed'
  /** datetimes outside datetime64[ns]: pandas keeps datetime objects, they arrive as text. */
  | 'dates-out-of-range'
  /** Integers beyond int64 beside negative or missing values: pandas keeps Python ints. */
  | 'uint64-conflict'
  /** datetime.date objects only: they arrive as DuckDB DATE (see the report). */
  | 'dates-only';

export interface ColumnPlan {
  store: ColumnStore;
  /** pandas dtype name. */
  dtype: string;
  textStyle: TextStyle;
  divergence?: Divergence;
  /** The first out-of-range date, as Python prints it (for the warning). */
  example?: string;
}

/** datetime64[ns] bounds in days and microseconds of the day (Timestamp.min/max, whole microseconds). */
const NS_MIN_DAYS = daysFromCivil(1677, 9, 21);
const NS_MIN_US = 763_145_225; // 00:12:43.145225
const NS_MAX_DAYS = daysFromCivil(2262, 4, 11);
const NS_MAX_US = 85_636_854_775; // 23:47:16.854775
/** |timedelta64[ns]| at most 2^63 - 1 ns, in microseconds. */
const TD_MAX_US = Number(INT64_MAX / 1000n);

/** True when a datetime fits datetime64[ns]. */
export function inNsRange(days: number, us: number): boolean {
  if (days > NS_MIN_DAYS && days < NS_MAX_DAYS) return true;
  if (days === NS_MIN_DAYS) return us >= NS_MIN_US;
  if (days === NS_MAX_DAYS) return us <= NS_MAX_US;
  return false;
}

const BOOL_STRINGS: Readonly<Record<string, boolean>> = {
  True: true,
  TRUE: true,
  true: true,
  False: false,
  FALSE: false,
  false: false,
};

/** The bool a value stands for in libops.maybe_convert_bool, or undefined. */
export function boolOf(v: PyValue): boolean | undefined {
  if (v.kind === Kind.Bool) return v.a === 1;
  if (v.kind === Kind.Str) return BOOL_STRINGS[v.s ?? ''];
  return undefined;
}

/** Strings pandas turns into NaT when it parses a datetime column. */
const NAT_STRINGS = new Set(['NaT', 'nat', 'NAT', 'nan', 'NaN', 'NAN']);
const ISO_DATE =
  /^ *(\d{4})(?:([-/ ]?)(\d{1,2})(?:\2(\d{1,2})(?:[T ](\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?)?$/;

/**
 * A string as pandas' ISO 8601 parser (require_iso8601) reads it in a datetime column:
 * [days, microseconds], 'nat' for the not-a-time strings, or null when it is not a
 * naive ISO date (time-zone suffixes and words such as 'now' count as not).
 */
export function isoStringDateTime(text: string): [number, number] | 'nat' | null {
  if (NAT_STRINGS.has(text)) return 'nat';
  const m = ISO_DATE.exec(text);
  if (!m) return null;
  const [, y, sep, mo, d, h, mi, s, frac] = m;
  // Without a separator the month and day must have two digits (YYYYMMDD).
  if (mo !== undefined && sep === '' && (mo.length !== 2 || (d !== undefined && d.length !== 2)))
    return null;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const probe = new Date(Date.UTC(2000, month - 1, day));
  if (month < 1 || month > 12 || day < 1 || probe.getUTCMonth() !== month - 1) return null;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)))
    return null;
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;
  const micro = frac === undefined ? 0 : Number(frac.padEnd(6, '0').slice(0, 6));
  return [daysFromCivil(year, month, day), ((hour * 60 + minute) * 60 + second) * 1e6 + micro];
}

/** Tracks one column's values (Empty cells are counted by the caller, not observed). */
export class ColumnInference {
  // lib.maybe_convert_numeric's Seen flags.
  private nullSeen = false;
  private floatSeen = false;
  private intSeen = false;
  private boolSeen = false;
  private uintSeen = false;
  private sintSeen = false;
  /** A value maybe_convert_numeric cannot take (text, dates): the column stays object. */
  private numericFailed = false;

  /** NaN (error cells) and missing-value strings: missing after parsers.sanitize_objects. */
  private missingValues = 0;
  private allBoolLike = true;

  // lib.infer_datetimelike_array, which stops looking after the third string.
  private scanning = true;
  private strings = 0;
  private seenDateTime = false;
  private seenDate = false;
  private seenTimeDelta = false;
  private seenOther = false;
  /** Every present value converts to datetime64[ns] / timedelta64[ns]. */
  private datetimeOk = true;
  private timedeltaOk = true;
  private outOfRange?: PyValue;
  /** Set when the scan stops: whether the column may still become datetime64 or timedelta64. */
  private convertible = true;

  /** Bit set of the Kinds of the present values, for an object column. */
  private kinds = 0;

  /** Observes one value that is not Empty. */
  observe(v: PyValue): void {
    this.numericStep(v);
    const missing = v.kind === Kind.NaN || (v.kind === Kind.Str && NA_STRINGS.has(v.s ?? ''));
    if (missing) {
      this.missingValues++;
      return;
    }
    this.kinds |= 1 << v.kind;
    if (this.allBoolLike && boolOf(v) === undefined) this.allBoolLike = false;
    this.datetimeStep(v);
  }

  private numericStep(v: PyValue): void {
    if (this.numericFailed) return;
    switch (v.kind) {
      case Kind.NaN:
        this.nullSeen = this.floatSeen = true;
        return;
      case Kind.Float:
        this.floatSeen = true;
        return;
      case Kind.Bool:
        this.boolSeen = true;
        return;
      case Kind.Int:
        // Safe integers are far inside int64: no uint64 and no overflow to check.
        this.intSeen = true;
        if (v.a < 0) {
          this.sintSeen = true;
          if (this.uintSeen) this.floatSeen = true;
        }
        return;
      case Kind.BigInt:
        this.sawInt(v.big ?? 0n);
        return;
      case Kind.Str: {
        const s = v.s ?? '';
        if (NA_STRINGS.has(s)) {
          this.nullSeen = this.floatSeen = true;
          return;
        }
        const f = floatify(s);
        if (!f) {
          this.numericFailed = true;
          return;
        }
        if (!f.maybeInt) {
          this.floatSeen = true;
          return;
        }
        const asInt = integralText(s);
        // "Integer out of range": pandas gives up on numbers for the column.
        if (asInt < INT64_MIN || asInt > UINT64_MAX) this.numericFailed = true;
        else this.sawInt(asInt);
        return;
      }
      default:
        // datetime, date, time, timedelta: floatify raises TypeError.
        this.numericFailed = true;
    }
  }

  private sawInt(val: bigint): void {
    this.intSeen = true;
    if (val >= INT64_MIN && val < 0n) this.sintSeen = true;
    if (val > INT64_MAX && val <= UINT64_MAX) this.uintSeen = true;
    if (val > UINT64_MAX || val < INT64_MIN || (this.sintSeen && this.uintSeen))
      this.floatSeen = true;
  }

  private datetimeStep(v: PyValue): void {
    // Once the scan has settled what pandas infers, only a datetime or timedelta column needs checks.
    if (!this.scanning && !this.convertible) return;
    if (this.scanning) {
      switch (v.kind) {
        case Kind.Str:
          if (++this.strings === 3) this.scanning = false;
          break;
        case Kind.DateTime:
          this.seenDateTime = true;
          break;
        case Kind.Date:
          this.seenDate = true;
          break;
        case Kind.TimeDelta:
          this.seenTimeDelta = true;
          break;
        default:
          this.seenOther = true;
          this.scanning = false;
      }
      if (!this.scanning) {
        const inferred = this.inferredDatetimeLike();
        this.convertible = inferred === 'datetime' || inferred === 'timedelta';
      }
    }
    switch (v.kind) {
      case Kind.DateTime:
      case Kind.Date:
        if (!inNsRange(v.a, v.kind === Kind.Date ? 0 : v.b)) {
          this.datetimeOk = false;
          this.outOfRange ??= { ...v };
        }
        this.timedeltaOk = false;
        break;
      case Kind.Str: {
        const parsed = isoStringDateTime(v.s ?? '');
        if (parsed === null || (parsed !== 'nat' && !inNsRange(parsed[0], parsed[1])))
          this.datetimeOk = false;
        // pandas would try to read the text as a timedelta; such columns are left as object.
        this.timedeltaOk = false;
        break;
      }
      case Kind.TimeDelta:
        if (Math.abs(v.a * US_PER_DAY + v.b) > TD_MAX_US) this.timedeltaOk = false;
        this.datetimeOk = false;
        break;
      default:
        this.datetimeOk = this.timedeltaOk = false;
    }
  }

  /**
   * The column's plan once every value is seen. `rows` is the number of data rows and
   * `nonEmpty` the number of values observed (so rows - nonEmpty cells were Empty).
   */
  plan(rows: number, nonEmpty: number): ColumnPlan {
    if (rows === 0) return { store: 'VARCHAR', dtype: 'object', textStyle: 'text' };
    const empties = rows - nonEmpty;
    const nullSeen = this.nullSeen || empties > 0;
    const floatSeen = this.floatSeen || empties > 0;
    if (!this.numericFailed) {
      if (this.uintSeen && (nullSeen || this.sintSeen))
        return this.object('raw', 'uint64-conflict');
      if (floatSeen) return { store: 'DOUBLE', dtype: 'float64', textStyle: 'text' };
      if (this.intSeen)
        return this.uintSeen
          ? { store: 'UBIGINT', dtype: 'uint64', textStyle: 'text' }
          : { store: 'BIGINT', dtype: 'int64', textStyle: 'text' };
      return { store: 'BOOLEAN', dtype: 'bool', textStyle: 'text' };
    }
    const hasMissing = empties > 0 || this.missingValues > 0;
    if (this.allBoolLike)
      return { store: 'BOOLEAN', dtype: hasMissing ? 'object' : 'bool', textStyle: 'text' };
    switch (this.inferredDatetimeLike()) {
      case 'datetime':
        if (this.datetimeOk)
          return { store: 'TIMESTAMP_NS', dtype: 'datetime64[ns]', textStyle: 'text' };
        break;
      case 'timedelta':
        if (this.timedeltaOk)
          return { store: 'INTERVAL', dtype: 'timedelta64[ns]', textStyle: 'text' };
        break;
    }
    return this.objectColumn();
  }

  private inferredDatetimeLike(): 'datetime' | 'timedelta' | 'date' | 'mixed' {
    if (this.seenOther) return 'mixed';
    if (this.seenDate && !(this.seenDateTime || this.seenTimeDelta)) return 'date';
    if (this.seenDateTime && !this.seenTimeDelta) return 'datetime';
    if (this.seenTimeDelta && !this.seenDateTime) return 'timedelta';
    // Strings alone are never read as dates here (pandas passes a list where an array is needed).
    return 'mixed';
  }

  private objectColumn(): ColumnPlan {
    const only = (kind: Kind): boolean => this.kinds === 1 << kind;
    if (only(Kind.Str)) return { store: 'VARCHAR', dtype: 'object', textStyle: 'text' };
    if (only(Kind.Time)) return { store: 'TIME', dtype: 'object', textStyle: 'text' };
    if (only(Kind.Date) && this.datetimeOk)
      return { store: 'DATE', dtype: 'object', textStyle: 'text', divergence: 'dates-only' };
    const datesOnly = (this.kinds & ~((1 << Kind.DateTime) | (1 << Kind.Date))) === 0;
    if (this.outOfRange && datesOnly) {
      return { ...this.object('python', 'dates-out-of-range'), example: pyStr(this.outOfRange) };
    }
    return this.object('python', 'mixed');
  }

  private object(textStyle: TextStyle, divergence: Divergence): ColumnPlan {
    return { store: 'VARCHAR', dtype: 'object', textStyle, divergence };
  }

  /** Bit set (1 << Kind) of the kinds of the present values. */
  kindsMask(): number {
    return this.kinds;
  }

  /** Python type names of the present values, for warnings: e.g. ['int', 'str']. */
  typeNames(): string[] {
    const names: string[] = [];
    for (const [kind, name] of PY_TYPE_NAMES)
      if (this.kinds & (1 << kind) && !names.includes(name)) names.push(name);
    return names;
  }
}

const PY_TYPE_NAMES: [Kind, string][] = [
  [Kind.Int, 'int'],
  [Kind.BigInt, 'int'],
  [Kind.Float, 'float'],
  [Kind.Bool, 'bool'],
  [Kind.Str, 'str'],
  [Kind.DateTime, 'datetime'],
  [Kind.Date, 'date'],
  [Kind.Time, 'time'],
  [Kind.TimeDelta, 'timedelta'],
];
