import { cutTextSql } from '../duckdb/cell-cut';
import { quoteLiteral } from '../duckdb/duckdb.service';
import { JobRecord } from './jobs/job';

/**
 * How an output column is held in DuckDB and spelled in each reader. Column i of an
 * output table is `c<i>`; its real name lives only in the job record.
 *
 * Held as: int BIGINT, uint UBIGINT, float DOUBLE (NaN is NULL), bool BOOLEAN, date DATE,
 * text VARCHAR; datetime, datetimetz (UTC), timedelta and time as BIGINT nanoseconds, so
 * that pandas' whole range and every nanosecond survive (DuckDB's timestamps are narrower).
 * The SQL below turns those into text, by integer arithmetic only.
 *
 *   stored      CSV (as to_csv)           JSON and preview            Parquet               XLSX
 *   int, uint   digits                    number; string beyond 2^53  its width             number; text beyond 2^53
 *   float       repr (0.1, 1e-05, inf)    number; "Infinity"          DOUBLE / FLOAT        number; text inf
 *   bool        True / False              true / false                BOOLEAN               boolean
 *   datetime    column format of pandas   ISO, T, same fraction       TIMESTAMP(NANOS)      date cell (ms); text < 1900-03-01
 *   datetimetz  2024-03-01 10:00:00+01:00 2024-03-01T10:00:00+01:00   TIMESTAMP(NANOS, UTC) text as CSV
 *   timedelta   1 days 02:03:04           P1DT2H3M4S                  text as CSV           text as CSV
 *   time        10:00:00[.ffffff]         "10:00:00"                  TIME(NANOS)           time cell (ms)
 *   date        2024-03-01                "2024-03-01"                DATE                  date cell; text < 1900-03-01
 *   text        quoted as pandas (+ \r)    string                      string                text (cut at 32,767)
 * Missing values: empty in CSV, null in JSON, NULL in Parquet, an empty cell in XLSX.
 * CSV with escape_formulas: text cells and names starting with = + - @ tab or CR get a
 * leading ' (OWASP); XLSX text cells are typed strings, which spreadsheets never evaluate.
 */
export type OutputColumn = JobRecord['outputSchema'][number];
/** Characters an Excel cell holds. */
export const XLSX_MAX_CELL_CHARS = 32_767;
export type StoredType = OutputColumn['stored'];

const NS_PER_DAY = '86400000000000';
const NS_PER_HOUR = '3600000000000';
const NS_PER_MINUTE = '60000000000';
const NS_PER_SECOND = '1000000000';
const NS_PER_MS = '1000000';
const MS_PER_DAY = '86400000';
/** Integers JSON readers (JavaScript) hold exactly: |n| <= 2^53 - 1. */
const MAX_SAFE = '9007199254740991';
const FLOAT32_DTYPES = new Set(['float32', 'float16', 'Float32']);
/** Parquet integer widths for pandas' narrower integer dtypes. */
const NARROW_INTS: Record<string, string> = {
  int8: 'TINYINT',
  Int8: 'TINYINT',
  int16: 'SMALLINT',
  Int16: 'SMALLINT',
  int32: 'INTEGER',
  Int32: 'INTEGER',
  uint8: 'UTINYINT',
  UInt8: 'UTINYINT',
  uint16: 'USMALLINT',
  UInt16: 'USMALLINT',
  uint32: 'UINTEGER',
  UInt32: 'UINTEGER',
};

const floorDiv = (x: string, d: string): string =>
  `(${x} // ${d} - CASE WHEN ${x} % ${d} < 0 THEN 1 ELSE 0 END)`;
const floorMod = (x: string, d: string): string =>
  `(${x} % ${d} + CASE WHEN ${x} % ${d} < 0 THEN ${d} ELSE 0 END)`;
const pad = (x: string, width: number): string => `lpad(CAST(${x} AS VARCHAR), ${width}, '0')`;

/** `YYYY-MM-DD` of nanoseconds since the epoch. */
const dateOf = (ns: string): string =>
  `CAST(DATE '1970-01-01' + CAST(${floorDiv(ns, NS_PER_DAY)} AS INTEGER) AS VARCHAR)`;

/** `HH:MM:SS` of nanoseconds since midnight (0 <= ns < one day). */
const clockOf = (ns: string): string =>
  `${pad(`${ns} // ${NS_PER_HOUR}`, 2)} || ':' || ${pad(`${ns} // ${NS_PER_MINUTE} % 60`, 2)} || ':' || ${pad(`${ns} // ${NS_PER_SECOND} % 60`, 2)}`;

/** Fraction of a second, `digits` wide (0 = none), of nanoseconds since midnight. */
function fixedFraction(ns: string, digits: number): string {
  const sub = `${ns} % ${NS_PER_SECOND}`;
  if (digits === 3) return ` || '.' || ${pad(`${sub} // 1000000`, 3)}`;
  if (digits === 6) return ` || '.' || ${pad(`${sub} // 1000`, 6)}`;
  if (digits === 9) return ` || '.' || ${pad(sub, 9)}`;
  return '';
}

/** Fraction as str(Timestamp) and str(Timedelta) give it per value: 9 digits, 6, or none. */
function valueFraction(ns: string): string {
  const sub = `(${ns} % ${NS_PER_SECOND})`;
  return ` || CASE WHEN ${sub} % 1000 <> 0 THEN '.' || ${pad(sub, 9)} WHEN ${sub} <> 0 THEN '.' || ${pad(`${sub} // 1000`, 6)} ELSE '' END`;
}

/** Date, separator, clock and fraction of nanoseconds since the epoch. */
function stampOf(ns: string, separator: string, fraction: (ns: string) => string): string {
  const day = floorMod(ns, NS_PER_DAY);
  return `${dateOf(ns)} || '${separator}' || ${clockOf(day)}${fraction(day)}`;
}

/** A fixed offset such as +05:30 (or +05:30:15) in seconds; null for a zone name. */
export function fixedOffsetSeconds(tz: string): number | null {
  const m = /^([+-])(\d\d):(\d\d)(?::(\d\d))?$/.exec(tz);
  if (!m) return null;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

/** Offset text as Python prints it: +HH:MM, with :SS only when there are seconds. */
function offsetText(seconds: string): string {
  const a = `abs(${seconds})`;
  return `CASE WHEN ${seconds} < 0 THEN '-' ELSE '+' END || ${pad(`${a} // 3600`, 2)} || ':' || ${pad(`${a} // 60 % 60`, 2)} || CASE WHEN ${a} % 60 <> 0 THEN ':' || ${pad(`${a} % 60`, 2)} ELSE '' END`;
}

/** The zone's UTC offset, in seconds, at the instant `ns` (UTC nanoseconds). */
function offsetSeconds(ns: string, tz: string): string {
  const fixed = fixedOffsetSeconds(tz);
  if (fixed !== null) return `${fixed}`;
  const utc = `make_timestamp(${floorDiv(ns, '1000')})`;
  return `date_diff('second', ${utc}, timezone(${quoteLiteral(tz)}, timezone('UTC', ${utc})))`;
}

/** Local wall time with its offset, as str(Timestamp) gives it (`separator` ' ' or 'T'). */
function zonedStamp(ns: string, tz: string, separator: string): string {
  const offset = offsetSeconds(ns, tz);
  const local = `(CAST(${ns} AS HUGEINT) + CAST(${offset} AS BIGINT) * ${NS_PER_SECOND})`;
  return `${stampOf(local, separator, valueFraction)} || ${offsetText(offset)}`;
}

/** A naive datetime column, spelled as pandas spells it. */
function naiveStamp(column: OutputColumn, ns: string, separator: string, datesAllowed: boolean) {
  if (column.dtype !== 'datetime64[ns]') return stampOf(ns, separator, valueFraction);
  if (datesAllowed && column.datesOnly) return dateOf(ns);
  const digits = column.fractionDigits ?? 0;
  return stampOf(ns, separator, (day) => fixedFraction(day, digits));
}

/** A duration as pandas writes it: `1 days 02:03:04.500000`, `-1 days +23:59:59`, `2 days`. */
function timedeltaText(column: OutputColumn, ns: string): string {
  const days = `CAST(${floorDiv(ns, NS_PER_DAY)} AS VARCHAR)`;
  if (column.wholeDays) return `${days} || ' days'`;
  const rest = floorMod(ns, NS_PER_DAY);
  return `${days} || ' days ' || CASE WHEN ${ns} < 0 THEN '+' ELSE '' END || ${clockOf(rest)}${valueFraction(rest)}`;
}

/** A duration in ISO 8601 as pandas' Timedelta.isoformat() gives it, signed in front: `-P0DT0H0M1.5S`. */
function timedeltaIso(ns: string): string {
  const a = `abs(CAST(${ns} AS HUGEINT))`;
  const sub = `(${a} % ${NS_PER_SECOND})`;
  return (
    `CASE WHEN ${ns} < 0 THEN '-' ELSE '' END || 'P' || CAST(${a} // ${NS_PER_DAY} AS VARCHAR) || 'DT' || ` +
    `CAST(${a} % ${NS_PER_DAY} // ${NS_PER_HOUR} AS VARCHAR) || 'H' || CAST(${a} % ${NS_PER_HOUR} // ${NS_PER_MINUTE} AS VARCHAR) || 'M' || ` +
    `CAST(${a} % ${NS_PER_MINUTE} // ${NS_PER_SECOND} AS VARCHAR) || ` +
    `CASE WHEN ${sub} = 0 THEN '' ELSE '.' || rtrim(${pad(sub, 9)}, '0') END || 'S'`
  );
}

/** A time of day as str(datetime.time) gives it: `10:00:00`, `10:00:00.000500`. */
function timeText(ns: string): string {
  const day = floorMod(ns, NS_PER_DAY);
  const micros = `(${day} % ${NS_PER_SECOND} // 1000)`;
  return `${clockOf(day)} || CASE WHEN ${micros} <> 0 THEN '.' || ${pad(micros, 6)} ELSE '' END`;
}

const floatValue = (column: OutputColumn, c: string): string =>
  FLOAT32_DTYPES.has(column.dtype) ? `CAST(${c} AS FLOAT)` : c;

/** What a text cell may start with that Excel and LibreOffice open as a formula (OWASP). */
export const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r'] as const;

/** OWASP's defence against CSV injection: a single quote before a formula-like text. */
function formulaEscaped(c: string): string {
  const starts = FORMULA_STARTS.map((ch) => `chr(${ch.charCodeAt(0)})`).join(', ');
  return `CASE WHEN left(${c}, 1) IN (${starts}) THEN '''' || ${c} ELSE ${c} END`;
}

/**
 * A cell of the CSV download as `out.to_csv(index=False)` writes it: VARCHAR, NULL for
 * missing (written empty), quoted where pandas quotes. `c` is the column's SQL name.
 * `escapeFormulas` prefixes text cells that start as a formula with `'`; other types are
 * not text cells (a -5 stays -5) and are spelled as always.
 */
export function csvCell(column: OutputColumn, c: string, escapeFormulas = false): string {
  switch (column.stored) {
    case 'int':
    case 'uint':
    case 'date':
      return `CAST(${c} AS VARCHAR)`;
    case 'float':
      return `CAST(${floatValue(column, c)} AS VARCHAR)`;
    case 'bool':
      return `CASE WHEN ${c} THEN 'True' WHEN NOT ${c} THEN 'False' END`;
    case 'datetime':
      return naiveStamp(column, c, ' ', true);
    case 'datetimetz':
      return zonedStamp(c, column.tz ?? 'UTC', ' ');
    case 'timedelta':
      return timedeltaText(column, c);
    case 'time':
      return timeText(c);
    case 'text': {
      // pandas quotes a value holding the delimiter, a quote or a newline; we also quote a
      // carriage return, which pandas leaves bare and its own reader then breaks the row at.
      const value = escapeFormulas ? formulaEscaped(c) : c;
      return `CASE WHEN contains(${c}, ',') OR contains(${c}, '"') OR contains(${c}, '\n') OR contains(${c}, '\r') THEN '"' || replace(${value}, '"', '""') || '"' ELSE ${value} END`;
    }
  }
}

/** A header name or text value quoted (and formula-escaped) as `csvCell` does text. */
export function csvQuote(text: string, escapeFormulas = false): string {
  const value =
    escapeFormulas && (FORMULA_STARTS as readonly string[]).includes(text.charAt(0))
      ? `'${text}`
      : text;
  return /[,"\r\n]/.test(text) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A value of the preview and the JSON download as JSON text (VARCHAR, never NULL):
 * integers beyond 2^53 as strings, ±inf as "Infinity"/"-Infinity", datetimes in ISO 8601
 * (with the offset when zoned), durations in ISO 8601, dates and times as text. With
 * `maxTextChars` (previews), longer text is cut with the marker of cell-cut.ts.
 */
export function jsonValue(column: OutputColumn, c: string, maxTextChars?: number): string {
  const quoted = (text: string): string => `'"' || ${text} || '"'`;
  let value: string;
  switch (column.stored) {
    case 'int':
      value = `CASE WHEN ${c} BETWEEN -${MAX_SAFE} AND ${MAX_SAFE} THEN CAST(${c} AS VARCHAR) ELSE ${quoted(`CAST(${c} AS VARCHAR)`)} END`;
      break;
    case 'uint':
      value = `CASE WHEN ${c} <= ${MAX_SAFE} THEN CAST(${c} AS VARCHAR) ELSE ${quoted(`CAST(${c} AS VARCHAR)`)} END`;
      break;
    case 'float':
      value = `CASE WHEN isinf(${c}) THEN CASE WHEN ${c} > 0 THEN '"Infinity"' ELSE '"-Infinity"' END ELSE CAST(${floatValue(column, c)} AS VARCHAR) END`;
      break;
    case 'bool':
      value = `CASE WHEN ${c} THEN 'true' WHEN NOT ${c} THEN 'false' END`;
      break;
    case 'datetime':
      value = quoted(naiveStamp(column, c, 'T', false));
      break;
    case 'datetimetz':
      value = quoted(zonedStamp(c, column.tz ?? 'UTC', 'T'));
      break;
    case 'timedelta':
      value = quoted(timedeltaIso(c));
      break;
    case 'time':
      value = quoted(timeText(c));
      break;
    case 'date':
      value = quoted(`CAST(${c} AS VARCHAR)`);
      break;
    case 'text':
      value = `CAST(to_json(${maxTextChars === undefined ? c : cutTextSql(c, maxTextChars)}) AS VARCHAR)`;
      break;
  }
  return `COALESCE(${value}, 'null')`;
}

/** Logical types the Parquet footer is given afterwards (DuckDB writes these as INT64). */
export type ParquetLogical = 'timestamp-ns' | 'timestamp-ns-utc' | 'time-ns';

/** A column of the Parquet download: the SELECT expression and the logical type to set. */
export function parquetValue(
  column: OutputColumn,
  c: string,
): { sql: string; logical?: ParquetLogical } {
  switch (column.stored) {
    case 'int': {
      const narrow = NARROW_INTS[column.dtype];
      return { sql: narrow ? `CAST(${c} AS ${narrow})` : c };
    }
    case 'float':
      return { sql: floatValue(column, c) };
    case 'datetime':
      return { sql: c, logical: 'timestamp-ns' };
    case 'datetimetz':
      return { sql: c, logical: 'timestamp-ns-utc' };
    case 'time':
      return { sql: c, logical: 'time-ns' };
    case 'timedelta':
      // Parquet has no duration type; its INTERVAL holds neither nanoseconds nor signs.
      return { sql: timedeltaText(column, c) };
    case 'uint':
    case 'bool':
    case 'date':
    case 'text':
      return { sql: c };
  }
}

/** Excel's serial day number of 1970-01-01; Excel cannot hold days before 1900-03-01. */
const EXCEL_EPOCH_SERIAL = 25569;
const EXCEL_FIRST_NS = '-2203891200000000000';
const EXCEL_FIRST_DATE = "DATE '1900-03-01'";

/**
 * How a column goes into the XLSX download: SELECT expressions for a number (with its
 * Excel number format), a text, or a boolean cell; a row's cell is the text when present,
 * else the number, else empty.
 */
export function xlsxValue(
  column: OutputColumn,
  c: string,
): { number?: string; text?: string; bool?: string; format?: string } {
  switch (column.stored) {
    case 'int':
    case 'uint':
      // Excel numbers are doubles: beyond 2^53 the digits go into a text cell.
      return {
        number: `CASE WHEN ${c} <= ${MAX_SAFE} AND ${c} >= -${MAX_SAFE} THEN CAST(${c} AS DOUBLE) END`,
        text: `CASE WHEN ${c} > ${MAX_SAFE} OR ${c} < -${MAX_SAFE} THEN CAST(${c} AS VARCHAR) END`,
      };
    case 'float':
      return {
        number: `CASE WHEN isfinite(${c}) THEN CAST(${floatValue(column, c)} AS DOUBLE) END`,
        text: `CASE WHEN isinf(${c}) THEN CASE WHEN ${c} > 0 THEN 'inf' ELSE '-inf' END END`,
      };
    case 'bool':
      return { bool: c };
    case 'datetime':
      // Whole milliseconds (Excel's precision), cut rather than rounded past midnight.
      return {
        number: `CASE WHEN ${c} >= ${EXCEL_FIRST_NS} THEN CAST(${floorDiv(c, NS_PER_MS)} AS DOUBLE) / ${MS_PER_DAY} + ${EXCEL_EPOCH_SERIAL} END`,
        text: `CASE WHEN ${c} < ${EXCEL_FIRST_NS} THEN ${naiveStamp(column, c, ' ', true)} END`,
        format: 'yyyy-mm-dd hh:mm:ss',
      };
    case 'date':
      return {
        number: `CASE WHEN ${c} >= ${EXCEL_FIRST_DATE} THEN CAST(${c} - DATE '1970-01-01' AS DOUBLE) + ${EXCEL_EPOCH_SERIAL} END`,
        text: `CASE WHEN ${c} < ${EXCEL_FIRST_DATE} THEN CAST(${c} AS VARCHAR) END`,
        format: 'yyyy-mm-dd',
      };
    case 'time':
      return {
        number: `CAST(${floorMod(c, NS_PER_DAY)} // ${NS_PER_MS} AS DOUBLE) / ${MS_PER_DAY}`,
        format: 'hh:mm:ss',
      };
    case 'datetimetz':
    case 'timedelta':
      return { text: csvCell(column, c) };
    case 'text':
      // Cut in SQL, so a long value never reaches the workbook writer whole; the writer
      // cuts again at 32,767 UTF-16 units as Excel counts (left() counts code points, more).
      return { text: `left(${c}, ${XLSX_MAX_CELL_CHARS})` };
  }
}
