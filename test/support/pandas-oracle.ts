import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Python the sandbox runs, with pandas and openpyxl (not the python3 on PATH). */
export const PYTHON = process.env.SANDBOX_PYTHON ?? '/usr/bin/python3';

export interface PandasFrame {
  columns: string[];
  dtypes: string[];
  rows: number;
  /** Per column, each value canonical: null for missing, else Python's str() (see the script). */
  values: (string | null)[][];
}
export type PandasAnswer = PandasFrame | { error: string };

export interface ExcelJob {
  path: string;
  header?: boolean;
  sheet?: string;
}

/** What pandas.read_excel gives for each file (one Python process for all of them). */
export function pandasReadExcel(jobs: ExcelJob[]): PandasAnswer[] {
  const out = execFileSync(PYTHON, [join(__dirname, 'pandas_read_excel.py')], {
    input: JSON.stringify(jobs),
    maxBuffer: 1 << 30,
  });
  return out
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PandasAnswer);
}

/** Fields of a CSV as the XLSX worker writes it: [text, quoted] per field, per line. */
export function parseCsv(text: string): [string, boolean][][] {
  const rows: [string, boolean][][] = [];
  let row: [string, boolean][] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      row.push([value, true]);
    } else {
      let k = i;
      while (k < text.length && text[k] !== ',' && text[k] !== '\n') k++;
      row.push([text.slice(i, k), false]);
      i = k;
    }
    if (text[i] === ',') i++;
    else if (text[i] === '\n') {
      rows.push(row);
      row = [];
      i++;
    }
  }
  return rows;
}

const pyFloat = (x: number): string => {
  // Python's repr for the doubles a CSV field holds (shortest digits, Python's layout).
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1;
  const sign = x < 0 ? '-' : '';
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const e = decpt - 1;
  const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
  return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
};

/** A CSV field of a column stored as `store`, spelled as the oracle spells pandas' values. */
export function canonicalField([field, quoted]: [string, boolean], store: string): string | null {
  if (field === '' && !quoted) return null;
  switch (store) {
    case 'BIGINT':
    case 'UBIGINT':
      return BigInt(field).toString();
    case 'DOUBLE':
      return pyFloat(field === 'inf' ? Infinity : field === '-inf' ? -Infinity : Number(field));
    case 'BOOLEAN':
      return field.toLowerCase() === 'true' ? 'True' : 'False';
    case 'TIMESTAMP_NS':
      return field.length === 10 ? `${field} 00:00:00` : field;
    case 'INTERVAL':
      return `td:${field}`;
    default:
      return field;
  }
}

/** Values of each column (from the worker's CSV at `csvPath`), canonical. */
export function csvColumns(csvPath: string, stores: string[], rows: number): (string | null)[][] {
  const lines = rows === 0 ? [] : parseCsv(readFileSync(csvPath, 'utf8'));
  return stores.map((store, c) =>
    lines.map((line) => canonicalField(line[c + 1] ?? ['', false], store)),
  );
}
