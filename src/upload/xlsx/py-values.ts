/**
 * The Python values openpyxl (read-only mode, as pandas.read_excel uses it) makes of
 * cells, and how Python spells them with str(). Dates are proleptic Gregorian day
 * numbers counted from 1970-01-01, times are microseconds since midnight.
 */

/** Kinds of cell value after pandas' `_convert_cell`. */
export enum Kind {
  /** `""`: a cell without a value (or an empty string); pandas reads it as missing. */
  Empty = 0,
  /** `np.nan`: an error cell (#N/A, #DIV/0!, a date serial Python cannot hold). */
  NaN = 1,
  /** Python int within ±2^53: `a`. */
  Int = 2,
  /** Python int beyond ±2^53: `big`. */
  BigInt = 3,
  /** Python float: `a` (and `s`, the cell's text, when it is plain decimal text). */
  Float = 4,
  /** Python bool: `a` is 1 or 0. */
  Bool = 5,
  /** Python str, never empty: `s`. */
  Str = 6,
  /** datetime.datetime: `a` days, `b` microseconds of the day. */
  DateTime = 7,
  /** datetime.date: `a` days. */
  Date = 8,
  /** datetime.time: `b` microseconds since midnight. */
  Time = 9,
  /** datetime.timedelta: `a` days (may be negative), `b` microseconds (0 <= b < 1 day). */
  TimeDelta = 10,
}

/** One converted value; which fields count depends on `kind` (see Kind). */
export interface PyValue {
  kind: Kind;
  a: number;
  b: number;
  s?: string;
  big?: bigint;
}

export const US_PER_DAY = 86_400_000_000;
const MS_PER_DAY = 86_400_000;
const US_PER_MS = 1000;
const US_PER_SECOND = 1_000_000;
/** datetime.MINYEAR / MAXYEAR. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/** Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** [year, month, day] of a day number (inverse of daysFromCivil). */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const MIN_DAYS = daysFromCivil(MIN_YEAR, 1, 1);
const MAX_DAYS = daysFromCivil(MAX_YEAR, 12, 31);
const WINDOWS_EPOCH_DAYS = daysFromCivil(1899, 12, 30);
const MAC_EPOCH_DAYS = daysFromCivil(1904, 1, 1);
/** Serials below 60 sit before Excel's fictitious 1900-02-29, so openpyxl adds a day. */
const FAKE_LEAP_DAY_SERIAL = 60;

/** Python's round(): to the nearest integer, ties to even. */
export function pyRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Python's divmod(x, 1) for a float: [floor, fraction], as CPython's float_divmod computes it. */
function pyDivmodOne(x: number): [number, number] {
  let mod = x % 1;
  let div = x - mod;
  if (mod) {
    if (mod < 0) {
      mod += 1;
      div -= 1;
    }
  } else {
    mod = 0;
  }
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else {
    floordiv = x < 0 ? -0 : 0;
  }
  return [floordiv, mod];
}

/**
 * openpyxl's `from_excel(value, epoch)` for a cell whose number format is a date:
 * a time of day for 0 <= value < 1, else a datetime counted from the workbook's epoch
 * (1899-12-30, or 1904-01-01 in the 1904 date system), rounded to the millisecond.
 * Returns null where openpyxl fails (OverflowError/ValueError), which makes the cell an
 * error (#VALUE!), i.e. NaN in pandas.
 */
export function fromExcelSerial(value: number, date1904: boolean, out: PyValue): boolean {
  if (!Number.isFinite(value)) return false;
  const [day, fraction] = pyDivmodOne(value);
  const ms = pyRound(fraction * 86_400 * 1000);
  if (value >= 0 && value < 1 && ms < MS_PER_DAY) {
    out.kind = Kind.Time;
    out.b = ms * US_PER_MS;
    return true;
  }
  let wholeDays = day;
  if (!date1904 && value > 0 && value < FAKE_LEAP_DAY_SERIAL) wholeDays += 1;
  const days =
    (date1904 ? MAC_EPOCH_DAYS : WINDOWS_EPOCH_DAYS) + wholeDays + Math.floor(ms / MS_PER_DAY);
  if (!(days >= MIN_DAYS && days <= MAX_DAYS)) return false;
  out.kind = Kind.DateTime;
  out.a = days;
  out.b = (ms % MS_PER_DAY) * US_PER_MS;
  return true;
}

/** The cell holds something openpyxl cannot read; pandas.read_excel raises for the whole file. */
export class CellValueError extends Error {}

const ISO_REGEX = /^(?:(\d{4})-(\d{2})-(\d{2}))?T?(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?Z?/;
const ISO_DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function checkDate(year: number, month: number, day: number): void {
  const monthDays = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (
    year < MIN_YEAR ||
    year > MAX_YEAR ||
    !(month >= 1 && month <= 12) ||
    day < 1 ||
    day > monthDays
  ) {
    throw new CellValueError('day is out of range for month');
  }
}

function checkTime(hour: number, minute: number, second: number): void {
  if (hour > 23 || minute > 59 || second > 59) throw new CellValueError('time is out of range');
}

/**
 * openpyxl's `from_ISO8601` for a `t="d"` cell: a date, a time, a datetime (at most
 * millisecond digits; anything after the match is ignored, as re.match does), or a
 * `PT..H..M..S` duration. Throws CellValueError where openpyxl raises.
 */
export function fromIso8601(text: string, out: PyValue): void {
  const m = ISO_REGEX.exec(text);
  if (m && m.slice(1).some((g) => g !== undefined)) {
    const [, year, month, day, hour, minute, second, fraction] = m;
    const hasDate = year !== undefined;
    const hasTime = hour !== undefined;
    // int(float('.123') * 1_000_000), as openpyxl computes it (so .57 gives 569999).
    const micro = fraction ? Math.trunc(parseFloat(fraction) * US_PER_SECOND) : 0;
    const h = hasTime ? Number(hour) : 0;
    const min = hasTime ? Number(minute) : 0;
    const sec = second !== undefined ? Number(second) : 0;
    const us = ((h * 60 + min) * 60 + sec) * US_PER_SECOND + micro;
    if (!hasDate) {
      checkTime(h, min, sec);
      out.kind = Kind.Time;
      out.b = us;
      return;
    }
    checkDate(Number(year), Number(month), Number(day));
    out.a = daysFromCivil(Number(year), Number(month), Number(day));
    if (!hasTime) {
      out.kind = Kind.Date;
      out.b = 0;
      return;
    }
    checkTime(h, min, sec);
    out.kind = Kind.DateTime;
    out.b = us;
    return;
  }
  const d = ISO_DURATION.exec(text);
  if (d && d.slice(1).some((g) => g !== undefined)) {
    // Exact arithmetic: at most three decimals of seconds, so Python's microsecond rounding is exact.
    const [, hours, minutes, seconds] = d;
    let totalMs = 0n;
    if (hours) totalMs += BigInt(hours) * 3_600_000n;
    if (minutes) totalMs += BigInt(minutes) * 60_000n;
    if (seconds) {
      const [whole, decimals = ''] = seconds.split('.');
      totalMs += BigInt(whole) * 1000n + BigInt((decimals + '000').slice(0, 3));
    }
    const days = totalMs / BigInt(MS_PER_DAY);
    // timedelta allows at most 999,999,999 days.
    if (days > 999_999_999n) throw new CellValueError('days are out of range for a timedelta');
    out.kind = Kind.TimeDelta;
    out.a = Number(days);
    out.b = Number(totalMs % BigInt(MS_PER_DAY)) * US_PER_MS;
    return;
  }
  throw new CellValueError(`Invalid datetime value ${text}`);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function clockText(us: number): string {
  const totalSeconds = Math.floor(us / US_PER_SECOND);
  const micro = us - totalSeconds * US_PER_SECOND;
  const text = `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
  return micro ? `${text}.${pad(micro, 6)}` : text;
}

/** `YYYY-MM-DD` of a day number. */
export function dateText(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

/** str(datetime.datetime): `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
export function dateTimeText(days: number, us: number): string {
  return `${dateText(days)} ${clockText(us)}`;
}

/** str(datetime.time): `HH:MM:SS[.ffffff]`. */
export function timeText(us: number): string {
  return clockText(us);
}

/** str(datetime.timedelta): `[-]D day[s], H:MM:SS[.ffffff]`. */
export function timeDeltaText(days: number, us: number): string {
  const totalSeconds = Math.floor(us / US_PER_SECOND);
  const micro = us - totalSeconds * US_PER_SECOND;
  let text = `${Math.floor(totalSeconds / 3600)}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
  if (days) text = `${days} day${Math.abs(days) !== 1 ? 's' : ''}, ${text}`;
  return micro ? `${text}.${pad(micro, 6)}` : text;
}

/**
 * repr(float) as Python writes it: the shortest digits that round-trip (which JavaScript
 * also finds), in fixed notation for decimal exponents -4..15 and as `d.ddde+XX` otherwise.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(x);
  // Where both print fixed notation, JavaScript's shortest digits are Python's.
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const text = String(x);
    return Number.isInteger(x) ? `${text}.0` : text;
  }
  const sign = x < 0 ? '-' : '';
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const e = decpt - 1;
  const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
  return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${pad(Math.abs(e))}`;
}

/** str(value) in Python, for any kind but Empty/NaN (which have no text: missing). */
export function pyStr(v: PyValue): string {
  switch (v.kind) {
    case Kind.Int:
      return String(v.a);
    case Kind.BigInt:
      return String(v.big);
    case Kind.Float:
      return pyFloatRepr(v.a);
    case Kind.Bool:
      return v.a ? 'True' : 'False';
    case Kind.Str:
      return v.s ?? '';
    case Kind.DateTime:
      return dateTimeText(v.a, v.b);
    case Kind.Date:
      return dateText(v.a);
    case Kind.Time:
      return timeText(v.b);
    case Kind.TimeDelta:
      return timeDeltaText(v.a, v.b);
    case Kind.Empty:
      return '';
    case Kind.NaN:
      return 'nan';
  }
}
