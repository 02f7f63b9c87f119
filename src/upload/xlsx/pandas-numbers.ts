/**
 * Number parsing as openpyxl and pandas 1.5.3 do it: Python's int()/float() for numeric
 * cells, and pandas' `floatify` (precise_xstrtod) for text that pandas turns into numbers.
 */
import { PANDAS_NA_VALUES } from '../pandas-na-values';

/** pandas' default missing-value strings (see pandas-na-values.ts). */
export const NA_STRINGS: ReadonlySet<string> = new Set(PANDAS_NA_VALUES);

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

/** Python's int() and float() strip Unicode whitespace; JavaScript's \s is that set, near enough. */
const PY_INT = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/;
const PY_FLOAT =
  /^\s*[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?\s*$/;

/** A Python int from text: a JavaScript number when it is a safe integer, else a bigint. */
export type PyInt = number | bigint;

/** Plain decimal digits with an optional '-', short enough to be exact as a double; else undefined. */
function shortInt(text: string): number | undefined {
  const n = text.length;
  if (n === 0 || n > 15) return undefined;
  let i = text.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i === n) return undefined;
  let value = 0;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return text.charCodeAt(0) === 0x2d ? -value : value;
}

/** Python's int(text); null where Python raises ValueError. */
export function pyInt(text: string): PyInt | null {
  const short = shortInt(text);
  if (short !== undefined) return short;
  const m = PY_INT.exec(text);
  if (!m) return null;
  const digits = m[2].replace(/_/g, '');
  const value = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return narrowInt(value);
}

/** A bigint as a number when no precision is lost. */
export function narrowInt(value: bigint): PyInt {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** Python's float(text) for decimal text (openpyxl's `_cast_number` only calls it then); null where Python raises. */
export function pyFloat(text: string): number | null {
  // Only digits, '.', 'e', 'E', '+' and '-': JavaScript's decimal grammar is then Python's.
  let plain = text.length > 0;
  for (let i = 0; i < text.length && plain; i++) {
    const c = text.charCodeAt(i);
    plain =
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2e ||
      c === 0x65 ||
      c === 0x45 ||
      c === 0x2b ||
      c === 0x2d;
  }
  if (plain) {
    const value = Number(text);
    return Number.isNaN(value) ? null : value;
  }
  if (!PY_FLOAT.test(text)) return null;
  return Number(text.trim().replace(/_/g, ''));
}

/**
 * openpyxl's `_cast_number`: float() when the text has '.', 'E' or 'e', else int().
 * Null where Python raises (the cell is unreadable and pandas.read_excel fails).
 */
export function castNumber(text: string): { float: number } | { int: PyInt } | null {
  const short = shortInt(text);
  if (short !== undefined) return { int: short };
  if (text.includes('.') || text.includes('E') || text.includes('e')) {
    const f = pyFloat(text);
    return f === null ? null : { float: f };
  }
  const i = pyInt(text);
  return i === null ? null : { int: i };
}

const POWERS_OF_TEN = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));
const MAX_DIGITS = 17;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** The result of pandas' floatify: the double, and whether the text looked like an integer. */
export interface Floatified {
  value: number;
  maybeInt: boolean;
}

/**
 * pandas' `precise_xstrtod` (pandas/_libs/src/parser/tokenizer.c, 1.5.3) with
 * skip_trailing, '.' decimal and 'E' exponent, whole text only. Not correctly rounded
 * for long mantissas, exactly like pandas (it keeps 17 digits and scales by a power of ten).
 */
function preciseXstrtod(text: string): Floatified | null {
  const n = text.length;
  let p = 0;
  let maybeInt = true;
  while (p < n && isSpace(text.charCodeAt(p))) p++;
  let negative = false;
  if (text.charCodeAt(p) === 0x2d) {
    negative = true;
    p++;
  } else if (text.charCodeAt(p) === 0x2b) {
    p++;
  }
  let num = 0;
  let exponent = 0;
  let numDigits = 0;
  let numDecimals = 0;
  while (p < n && isDigit(text.charCodeAt(p))) {
    if (numDigits < MAX_DIGITS) {
      num = num * 10 + (text.charCodeAt(p) - 0x30);
      numDigits++;
    } else {
      exponent++;
    }
    p++;
  }
  if (text.charCodeAt(p) === 0x2e) {
    maybeInt = false;
    p++;
    while (numDigits < MAX_DIGITS && p < n && isDigit(text.charCodeAt(p))) {
      num = num * 10 + (text.charCodeAt(p) - 0x30);
      p++;
      numDigits++;
      numDecimals++;
    }
    if (numDigits >= MAX_DIGITS) while (p < n && isDigit(text.charCodeAt(p))) p++;
    exponent -= numDecimals;
  }
  if (numDigits === 0) return null;
  if (negative) num = -num;
  const e = text.charCodeAt(p);
  if (e === 0x45 || e === 0x65) {
    maybeInt = false;
    let q = p + 1;
    let expNegative = false;
    if (text.charCodeAt(q) === 0x2d) {
      expNegative = true;
      q++;
    } else if (text.charCodeAt(q) === 0x2b) {
      q++;
    }
    let expDigits = 0;
    let expValue = 0;
    while (expDigits < MAX_DIGITS && q < n && isDigit(text.charCodeAt(q))) {
      expValue = expValue * 10 + (text.charCodeAt(q) - 0x30);
      expDigits++;
      q++;
    }
    if (expDigits > 0) {
      exponent += expNegative ? -expValue : expValue;
      p = q;
    }
  }
  if (exponent > 308) return null;
  if (exponent > 0) num *= POWERS_OF_TEN[exponent];
  else if (exponent < -308) {
    if (exponent < -616) num = 0;
    else {
      num /= POWERS_OF_TEN[-308 - exponent];
      num /= POWERS_OF_TEN[308];
    }
  } else num /= POWERS_OF_TEN[-exponent];
  if (num === Infinity || num === -Infinity) return null;
  while (p < n && isSpace(text.charCodeAt(p))) p++;
  return p === n ? { value: num, maybeInt } : null;
}

const INFINITIES: Record<string, number> = {
  inf: Infinity,
  '-inf': -Infinity,
  '+inf': Infinity,
  infinity: Infinity,
  '-infinity': -Infinity,
  '+infinity': Infinity,
};

/** pandas' `floatify` (parse_helper.h): a number, ±inf spelled out, or null (ValueError). */
export function floatify(text: string): Floatified | null {
  const parsed = preciseXstrtod(text);
  if (parsed) return parsed;
  const infinity = INFINITIES[text.toLowerCase()];
  return infinity === undefined ? null : { value: infinity, maybeInt: false };
}

/** int(text) for text that floatify found integral: optional ASCII blanks and sign around digits. */
export function integralText(text: string): bigint {
  const t = text.trim();
  const body = t[0] === '+' || t[0] === '-' ? t.slice(1) : t;
  return BigInt(body) * (t[0] === '-' ? -1n : 1n);
}
