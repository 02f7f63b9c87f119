import { parse } from 'csv-parse/sync';

/** How a task's output is compared with its expected.csv (task.json `compare`). */
export interface CompareRules {
  /** `exact`: row i must match row i; `any`: the rows match as a multiset. */
  row_order: 'exact' | 'any';
  /** `exact`: same names in the same order; `any`: same names, any order. */
  column_order: 'exact' | 'any';
  /** Two numbers match when |a - b| <= float_tolerance * max(1, |a|, |b|). */
  float_tolerance: number;
}

export interface Comparison {
  equal: boolean;
  /** Why not, in one sentence naming the first difference; null when equal. */
  difference: string | null;
}

/** Spellings of a missing value in a CSV (pandas writes empty; a few writers spell it). */
const MISSING = new Set(['', 'nan', 'NaN', 'NaT', '<NA>', 'None', 'null']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Table {
  columns: string[];
  rows: string[][];
}

function readCsv(text: string): Table {
  const records: string[][] = parse(text.replace(/^\uFEFF/, ''));
  if (records.length === 0) return { columns: [], rows: [] };
  return { columns: records[0], rows: records.slice(1) };
}

/** Missing values as '', numbers as numbers; other text exactly. */
function cell(value: string): string | number {
  if (MISSING.has(value)) return '';
  if (NUMBER.test(value)) return Number(value);
  return value;
}

function cellsEqual(a: string, b: string, tolerance: number): boolean {
  const x = cell(a);
  const y = cell(b);
  if (typeof x === 'number' && typeof y === 'number') {
    return Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(x), Math.abs(y));
  }
  return x === y;
}

/** A sort key that puts equal rows (numbers within ~10 significant digits) side by side. */
function rowKey(row: string[]): string {
  return row
    .map((v) => {
      const c = cell(v);
      return typeof c === 'number' ? `n${c.toPrecision(10)}` : `s${c}`;
    })
    .join('\u0000');
}

const show = (v: string): string => (v === '' ? '(empty)' : JSON.stringify(v));

/**
 * Compares two CSV texts (a header row, then rows) under the task's rules: missing values
 * (empty, NaN, NaT, <NA>) are equal to each other, numbers equal within the tolerance
 * whatever their spelling (`1` and `1.0`), other values exactly.
 */
export function compareCsv(
  expectedCsv: string,
  actualCsv: string,
  rules: CompareRules,
): Comparison {
  const expected = readCsv(expectedCsv);
  const actual = readCsv(actualCsv);
  const differ = (difference: string): Comparison => ({ equal: false, difference });

  let order: number[];
  if (rules.column_order === 'exact') {
    if (expected.columns.join('\u0000') !== actual.columns.join('\u0000')) {
      return differ(
        `columns differ: expected ${JSON.stringify(expected.columns)}, got ${JSON.stringify(actual.columns)}`,
      );
    }
    order = expected.columns.map((_, i) => i);
  } else {
    const missing = expected.columns.filter((c) => !actual.columns.includes(c));
    const extra = actual.columns.filter((c) => !expected.columns.includes(c));
    if (missing.length || extra.length || expected.columns.length !== actual.columns.length) {
      return differ(
        `columns differ: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`,
      );
    }
    order = expected.columns.map((c) => actual.columns.indexOf(c));
  }
  let actualRows = actual.rows.map((row) => order.map((i) => row[i] ?? ''));
  let expectedRows = expected.rows;
  if (expectedRows.length !== actualRows.length) {
    return differ(`expected ${expectedRows.length} rows, got ${actualRows.length}`);
  }
  if (rules.row_order === 'any') {
    const byKey = (a: string[], b: string[]): number => {
      const [x, y] = [rowKey(a), rowKey(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    };
    expectedRows = [...expectedRows].sort(byKey);
    actualRows = [...actualRows].sort(byKey);
  }
  for (let r = 0; r < expectedRows.length; r++) {
    for (let c = 0; c < expected.columns.length; c++) {
      const [want, got] = [expectedRows[r][c] ?? '', actualRows[r][c] ?? ''];
      if (!cellsEqual(want, got, rules.float_tolerance)) {
        const where = rules.row_order === 'any' ? `sorted row ${r + 1}` : `row ${r + 1}`;
        return differ(
          `${where}, column ${JSON.stringify(expected.columns[c])}: expected ${show(want)}, got ${show(got)}`,
        );
      }
    }
  }
  return { equal: true, difference: null };
}
