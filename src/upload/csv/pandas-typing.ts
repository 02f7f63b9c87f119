import { DuckDBConnection } from '@duckdb/node-api';
import { columnIdent, quoteIdent } from '../../duckdb/duckdb.service';
import { PANDAS_NA_VALUES } from '../pandas-na-values';

/** The only words `read_csv` turns into booleans (its default true_values/false_values). */
const TRUE_WORDS = ['True', 'TRUE', 'true'];
const BOOL_WORDS = [...TRUE_WORDS, 'False', 'FALSE', 'false'];

// The C parser's grammar (pandas/_libs/src/parser/tokenizer.c): spaces around the
// number are allowed, thousands separators and hex are not.
const INT_RE = '[ \\t]*[+-]?[0-9]+[ \\t]*';
const INF = '[+-]?([iI][nN][fF]|[iI][nN][fF][iI][nN][iI][tT][yY])';
const INF_RE = `[ \\t]*${INF}[ \\t]*`;
const FLOAT_RE = `[ \\t]*([+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?|${INF})[ \\t]*`;
/** ISO 8601 dates and date-times without a zone: what we turn into datetime64[ns]. */
const DATE_RE =
  '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?';
const fullMatch = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);
const JS_INT = fullMatch(INT_RE);
const JS_FLOAT = fullMatch(FLOAT_RE);
const JS_INF = fullMatch(INF_RE);
const JS_DATE = fullMatch(DATE_RE);

/** Integers of this magnitude or more may have lost digits in float64. */
const MAX_EXACT_FLOAT_INT = 2 ** 53;
const MAX_EXACT_FLOAT_BIGINT = BigInt(MAX_EXACT_FLOAT_INT);
/** More conversions than this rebuild the table once instead of altering column by column. */
const MAX_ALTERS = 8;
/** pandas' datetime64[ns] range, inclusive. */
const PANDAS_MIN = '1677-09-21 00:12:43.145224193';
const PANDAS_MAX = '2262-04-11 23:47:16.854775807';
const PANDAS_DATETIME_RANGE = `${PANDAS_MIN} to ${PANDAS_MAX}`;

export type Candidate = 'int' | 'float' | 'bool' | 'date' | 'any';

/** How DuckDB reads a column, chosen from the head of the file. */
export interface ColumnGuess {
  type: 'VARCHAR' | 'DOUBLE' | 'DATE' | 'TIMESTAMP';
  /** The head holds only integers (read as DOUBLE: DuckDB's BIGINT cast rounds a late '1.5'). */
  integers: boolean;
  /** A number of the head written with leading zeros, which pandas drops (e.g. '08123'). */
  leadingZeros?: string;
  /**
   * For text: the one kind every value of the head could be ('any' when it holds none),
   * or null when the head already holds plain text (one word decides, as in pandas).
   */
  candidate?: Candidate | null;
}

/** DuckDB's reader formats for the two date spellings read as dates directly. */
export const DATE_FORMAT = '%Y-%m-%d';
export const TIMESTAMP_FORMAT = '%Y-%m-%d %H:%M:%S';
const JS_DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const LEADING_ZERO = /^[ \t]*[+-]?0[0-9]/;
const JS_SECOND = /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$/;
const NA = new Set(PANDAS_NA_VALUES);

/**
 * Guesses each column's DuckDB read type from the records at the head of the file, by
 * pandas' grammar. A guess only saves work: a value that does not fit stops the read
 * (the caller then reads that column as text), and text columns are typed afterwards.
 */
export function guessColumnTypes(records: readonly string[][], width: number): ColumnGuess[] {
  const kinds: (Set<string> | null)[] = Array.from({ length: width }, () => new Set<string>());
  const zeros: (string | undefined)[] = new Array<string | undefined>(width);
  for (const record of records) {
    for (let i = 0; i < width; i++) {
      const seen = kinds[i];
      const v = record[i];
      if (seen === null || v === undefined || NA.has(v)) continue;
      const kind = kindOf(v);
      if (kind === 'text') {
        kinds[i] = null;
        continue;
      }
      seen.add(kind);
      if (zeros[i] === undefined && (kind === 'int' || kind === 'long') && LEADING_ZERO.test(v))
        zeros[i] = v;
    }
  }
  return kinds.map((seen, i): ColumnGuess => {
    const only = (...allowed: string[]): boolean =>
      seen !== null && seen.size > 0 && [...seen].every((k) => allowed.includes(k));
    const leadingZeros = zeros[i] !== undefined ? { leadingZeros: zeros[i] } : {};
    if (only('int')) return { type: 'DOUBLE', integers: true, ...leadingZeros };
    if (only('int', 'float')) return { type: 'DOUBLE', integers: false, ...leadingZeros };
    if (only('day')) return { type: 'DATE', integers: false };
    if (only('second')) return { type: 'TIMESTAMP', integers: false };
    let candidate: Candidate | null = seen === null ? null : 'any';
    for (const kind of seen ?? []) {
      candidate = candidate && widen(candidate, CANDIDATE_OF[kind]);
    }
    return { type: 'VARCHAR', integers: false, candidate };
  });
}

/** What one value of the head is, by pandas' grammar (and ours for dates). */
function kindOf(v: string): string {
  if (JS_INT.test(v)) return isExactInDouble(v) ? 'int' : 'long';
  if (JS_FLOAT.test(v)) return Number.isFinite(Number(v)) || JS_INF.test(v) ? 'float' : 'text';
  if (BOOL_WORDS.includes(v)) return 'bool';
  if (JS_DAY.test(v)) return 'day';
  if (JS_SECOND.test(v)) return 'second';
  return JS_DATE.test(v) ? 'date' : 'text';
}

/** True when the integer text `v` (pandas' grammar) has a magnitude below 2^53. */
function isExactInDouble(v: string): boolean {
  const n = BigInt(v.trim());
  return n < MAX_EXACT_FLOAT_BIGINT && n > -MAX_EXACT_FLOAT_BIGINT;
}

const CANDIDATE_OF: Record<string, Candidate> = {
  int: 'int',
  long: 'int',
  float: 'float',
  bool: 'bool',
  day: 'date',
  second: 'date',
  date: 'date',
};

/** The pandas dtype of each column, and what the caller must do before it holds. */
export interface PandasTyping {
  /** Rows of the table. */
  rows: number;
  dtypes: string[];
  /** What a person should know about the typing (see typingWarnings). */
  notes: TypingNote[];
  /** Columns whose text must be kept (out-of-range dates, long integers): read them again as VARCHAR. */
  rereadAsText: number[];
}

interface Conversion {
  column: number;
  type: string;
  using: string;
}

/**
 * Gives each column of a freshly read CSV table (columns c0..c{n-1} read as `guesses`
 * say, pandas' NA tokens as NULL) the type `pandas.read_csv` would give it, converting
 * in place. Numbers and dates read as such cost one aggregate pass; only text columns
 * whose head does not already prove them text (one word that is not a number, a
 * boolean or a date decides, as in pandas) pay for a full scan.
 */
export async function applyPandasTypes(
  conn: DuckDBConnection,
  table: string,
  guesses: readonly ColumnGuess[],
): Promise<PandasTyping> {
  const t = quoteIdent(table);
  const types = (await conn.runAndReadAll(`SELECT column_type FROM (DESCRIBE ${t})`))
    .getRows()
    .map((r) => String(r[0]));
  const cols = types.map((_, i) => columnIdent(i));

  const { rows, present, found } = await columnStats(conn, t, types);

  const dtypes: string[] = new Array<string>(types.length).fill('object');
  const notes: PandasTyping['notes'] = [];
  const rereadAsText: number[] = [];
  const conversions: Conversion[] = [];
  types.forEach((type, i) => {
    const missing = present[i] < rows;
    if (type === 'DOUBLE') {
      dtypes[i] = 'float64';
      const zeros = guesses[i]?.leadingZeros;
      if (zeros !== undefined) {
        notes.push({ column: i, kind: 'leadingZeros', example: zeros });
      }
      if (found[i] === 'reread') rereadAsText.push(i);
      if (!guesses[i]?.integers) return;
      // Integers read as DOUBLE are exact below 2^53 and stay stored so (readers cast by
      // dtype, see pandasColumn); longer ones are read again as text.
      if (found[i] !== 'integers') rereadAsText.push(i);
      else if (!missing) dtypes[i] = 'int64';
    } else if (type === 'DATE' || type === 'TIMESTAMP') {
      if (found[i] === 'reread') rereadAsText.push(i);
      dtypes[i] = 'datetime64[ns]';
      notes.push({ column: i, kind: 'dates' });
    }
  });
  if (rereadAsText.length > 0) return { rows, dtypes, notes, rereadAsText };

  const text = types.flatMap((type, i) => (type === 'VARCHAR' ? [i] : []));
  const scans = text.flatMap((i): [number, Candidate][] => {
    const candidate = guesses[i]?.candidate;
    return candidate === null ? [] : [[i, candidate ?? 'any']];
  });
  // A file with a header and no row keeps every column object, as in pandas.
  if (scans.length > 0 && rows > 0) {
    const got = await scanText(conn, t, scans, cols);
    for (const [i] of scans) {
      const count = (key: string): number => Number(got[`s${i}_${key}`] ?? -1);
      const n = present[i];
      const missing = n < rows;
      const c = cols[i];
      if (n === 0) {
        // pandas reads a column with no value at all as float64 NaN.
        conversions.push({ column: i, type: 'DOUBLE', using: 'CAST(NULL AS DOUBLE)' });
        dtypes[i] = 'float64';
      } else if (count('ints') === n && count('int64s') === n) {
        conversions.push({ column: i, type: 'BIGINT', using: `CAST(${c} AS BIGINT)` });
        dtypes[i] = !missing ? 'int64' : got[`s${i}_wide`] === true ? 'Int64' : 'float64';
        if (dtypes[i] === 'Int64') notes.push({ column: i, kind: 'int64' });
      } else if (count('ints') === n && count('uint64s') === n && !missing) {
        conversions.push({ column: i, type: 'UBIGINT', using: `CAST(${c} AS UBIGINT)` });
        dtypes[i] = 'uint64';
      } else if (count('ints') === n) {
        notes.push({ column: i, kind: 'tooLarge' });
      } else if (count('floats') === n) {
        conversions.push({ column: i, type: 'DOUBLE', using: `CAST(trim(${c}) AS DOUBLE)` });
        dtypes[i] = 'float64';
      } else if (count('bools') === n) {
        const truth = TRUE_WORDS.map((w) => `'${w}'`).join(', ');
        conversions.push({ column: i, type: 'BOOLEAN', using: `${c} IN (${truth})` });
        dtypes[i] = missing ? 'object' : 'bool';
      } else if (count('dates') === n) {
        conversions.push({ column: i, type: 'TIMESTAMP_NS', using: `CAST(${c} AS TIMESTAMP_NS)` });
        dtypes[i] = 'datetime64[ns]';
        notes.push({ column: i, kind: 'dates' });
      } else if (count('dateLike') === n) {
        notes.push({ column: i, kind: 'outOfRange', example: String(got[`s${i}_outside`]) });
      }
    }
  }
  await convert(conn, table, cols, conversions);
  return { rows, dtypes, notes, rereadAsText };
}

/** Something a person should know about how one column was typed. */
export interface TypingNote {
  column: number;
  kind: 'leadingZeros' | 'tooLarge' | 'dates' | 'int64' | 'outOfRange';
  /** A value of the file that shows it. */
  example?: string;
}

/** Columns named in one sentence before the rest are counted. */
const NAMED_COLUMNS = 5;

/**
 * UploadResponse.warnings for the notes: one sentence per kind, naming its columns
 * (`names` by position) and the first example.
 */
export function typingWarnings(notes: readonly TypingNote[], names: readonly string[]): string[] {
  const kinds = [...new Set(notes.map((n) => n.kind))];
  return kinds.map((kind) => {
    const these = notes.filter((n) => n.kind === kind);
    const listed = these.slice(0, NAMED_COLUMNS).map((n) => JSON.stringify(names[n.column]));
    const more = these.length - listed.length;
    const one = these.length === 1;
    const subject = one
      ? `Column ${listed[0]}`
      : `Columns ${listed.slice(0, -1).join(', ')}${more > 0 ? `, ${listed.at(-1)} and ${more} more` : ` and ${listed.at(-1)}`}`;
    const verb = (singular: string, plural: string): string => (one ? singular : plural);
    const example = JSON.stringify(these[0].example ?? '');
    switch (kind) {
      case 'leadingZeros':
        return `${subject} ${verb('holds', 'hold')} numbers written with leading zeros (e.g. ${example}); like pandas.read_csv, the reader takes them as numbers, so the zeros are gone.`;
      case 'tooLarge':
        return `${subject} ${verb('holds', 'hold')} integers too large for 64 bits; they are kept as text so that no digit is lost.`;
      case 'dates':
        return `${subject} ${verb('holds', 'hold')} dates, so ${verb('it arrives', 'they arrive')} as datetime64[ns] (pandas.read_csv would keep the text).`;
      case 'int64':
        return `${subject} ${verb('holds', 'hold')} integers with missing values, so ${verb('it arrives', 'they arrive')} as the nullable Int64 dtype (pandas.read_csv would give float64, which rounds integers beyond 2^53).`;
      case 'outOfRange':
        return `${subject} ${verb('holds', 'hold')} dates but ${verb('keeps', 'keep')} them as text: ${example} is outside pandas' datetime64[ns] range (${PANDAS_DATETIME_RANGE}).`;
    }
  });
}

/** Above this width, per-column checks run on the unpivoted table: one aggregate per kind, not per column. */
const UNPIVOT_MIN_COLUMNS = 64;

/**
 * Per column: non-missing count, and whether what was read as a number holds only
 * integers within ±2^53, or what was read as a date lies within pandas' range.
 */
async function columnStats(
  conn: DuckDBConnection,
  t: string,
  types: string[],
): Promise<{ rows: number; present: number[]; found: (string | null)[] }> {
  const cols = types.map((_, i) => columnIdent(i));
  const checks: { types: string[]; check: (v: string) => string }[] = [
    {
      // An infinity may be an overflow ('1e500', text to pandas): such columns are read again.
      types: ['DOUBLE'],
      check: (v) =>
        `CASE WHEN bool_or(isinf(${v})) THEN 'reread' ` +
        `WHEN bool_and(${v} = trunc(${v})) AND max(abs(${v})) < ${MAX_EXACT_FLOAT_INT} THEN 'integers' END`,
    },
    {
      types: ['DATE', 'TIMESTAMP'],
      check: (v) =>
        `CASE WHEN TRY_CAST(min(${v}) AS TIMESTAMP_NS) IS NULL OR TRY_CAST(max(${v}) AS TIMESTAMP_NS) IS NULL THEN 'reread' END`,
    },
  ];
  const checkOf = (type: string) => checks.find((c) => c.types.includes(type))?.check;
  if (types.length < UNPIVOT_MIN_COLUMNS) {
    const select = ['count(*)', ...cols.map((c) => `count(${c})`)];
    types.forEach((type, i) => select.push(checkOf(type)?.(cols[i]) ?? 'NULL'));
    const got = (await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM ${t}`)).getRows()[0];
    return {
      rows: Number(got[0]),
      present: types.map((_, i) => Number(got[1 + i])),
      found: types.map((_, i) => (got[1 + types.length + i] ?? null) as string | null),
    };
  }
  // Wide tables: one query per type over the unpivoted table costs far less than one
  // aggregate per column (planning thousands of them dominates a short file).
  const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRows()[0][0]);
  const present = types.map(() => 0);
  const found: (string | null)[] = types.map(() => null);
  for (const type of new Set(types)) {
    const group = types.flatMap((ty, i) => (ty === type ? [cols[i]] : []));
    const check = checkOf(type)?.('value') ?? 'NULL';
    // UNPIVOT leaves out NULLs, so a column with no value has no row (count 0).
    const reader = await conn.runAndReadAll(
      `SELECT name, count(value), ${check} FROM (UNPIVOT (SELECT ${group.join(', ')} FROM ${t}) ` +
        'ON COLUMNS(*) INTO NAME name VALUE value) GROUP BY name',
    );
    for (const [name, count, result] of reader.getRows()) {
      const i = Number(String(name).slice(1));
      present[i] = Number(count);
      found[i] = (result ?? null) as string | null;
    }
  }
  return { rows, present, found };
}

/**
 * Full scans of the text columns that samples could not rule out, as `s<i>_<key>` (see
 * scanExpressions). Wide tables are scanned unpivoted, one aggregate per key.
 */
async function scanText(
  conn: DuckDBConnection,
  t: string,
  scans: [number, Candidate][],
  cols: string[],
): Promise<Record<string, unknown>> {
  if (scans.length < UNPIVOT_MIN_COLUMNS) {
    const exprs = scans.flatMap(([i, candidate]) =>
      Object.entries(scanExpressions(cols[i], candidate)).map(([k, e]) => `${e} AS s${i}_${k}`),
    );
    return (await conn.runAndReadAll(`SELECT ${exprs.join(', ')} FROM ${t}`)).getRowObjects()[0];
  }
  const exprs = Object.entries(scanExpressions('value', 'any'));
  const reader = await conn.runAndReadAll(
    `SELECT name, ${exprs.map(([k, e]) => `${e} AS ${k}`).join(', ')} FROM ` +
      `(UNPIVOT (SELECT ${scans.map(([i]) => cols[i]).join(', ')} FROM ${t}) ` +
      'ON COLUMNS(*) INTO NAME name VALUE value) GROUP BY name',
  );
  const out: Record<string, unknown> = {};
  for (const row of reader.getRowObjects()) {
    for (const [k] of exprs) out[`s${String(row.name).slice(1)}_${k}`] = row[k];
  }
  return out;
}

/** What a full scan of a text column counts, for the kinds its sample allows. */
function scanExpressions(c: string, candidate: Candidate): Record<string, string> {
  const out: Record<string, string> = {};
  if (candidate === 'int' || candidate === 'any') {
    const isInt = `regexp_full_match(${c}, '${INT_RE}')`;
    out.ints = `count_if(${isInt})`;
    out.int64s = `count_if(${isInt} AND TRY_CAST(${c} AS BIGINT) IS NOT NULL)`;
    out.uint64s = `count_if(${isInt} AND TRY_CAST(${c} AS UBIGINT) IS NOT NULL)`;
    out.wide = `coalesce(max(abs(TRY_CAST(${c} AS HUGEINT))) > ${MAX_EXACT_FLOAT_INT}, false)`;
  }
  if (candidate === 'int' || candidate === 'float' || candidate === 'any') {
    // DuckDB reads an overflowing '1e500' as infinity where pandas keeps the text.
    out.floats =
      `count_if(regexp_full_match(${c}, '${FLOAT_RE}') AND ` +
      `(isfinite(TRY_CAST(trim(${c}) AS DOUBLE)) OR regexp_full_match(${c}, '${INF_RE}')))`;
  }
  if (candidate === 'bool' || candidate === 'any') {
    out.bools = `count_if(${c} IN (${BOOL_WORDS.map((w) => `'${w}'`).join(', ')}))`;
  }
  if (candidate === 'date' || candidate === 'any') {
    const isDate = `regexp_full_match(${c}, '${DATE_RE}')`;
    const inRange = `TRY_CAST(${c} AS TIMESTAMP_NS) IS NOT NULL`;
    out.dateLike = `count_if(${isDate})`;
    out.dates = `count_if(${isDate} AND ${inRange})`;
    out.outside = `min(${c}) FILTER (WHERE ${isDate} AND NOT ${inRange})`;
  }
  return out;
}

/** The narrowest kind holding both, or null when a column of both kinds is text. */
function widen(a: Candidate, b: Candidate | null): Candidate | null {
  if (b === null) return null;
  if (a === 'any' || a === b) return b;
  if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return 'float';
  return null;
}

async function convert(
  conn: DuckDBConnection,
  table: string,
  cols: string[],
  conversions: Conversion[],
): Promise<void> {
  if (conversions.length === 0) return;
  const t = quoteIdent(table);
  if (conversions.length <= MAX_ALTERS) {
    for (const { column, type, using } of conversions) {
      await conn.run(`ALTER TABLE ${t} ALTER ${cols[column]} SET DATA TYPE ${type} USING ${using}`);
    }
    return;
  }
  const byColumn = new Map(conversions.map((c) => [c.column, c]));
  const select = cols.map((c, i) => {
    const conversion = byColumn.get(i);
    return conversion ? `CAST(${conversion.using} AS ${conversion.type}) AS ${c}` : c;
  });
  // A plain scan keeps insertion order (preserve_insertion_order), so rowid stays file order.
  await conn.run(`CREATE OR REPLACE TABLE ${t} AS SELECT ${select.join(', ')} FROM ${t}`);
}
