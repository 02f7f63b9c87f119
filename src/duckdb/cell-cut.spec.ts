import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { cutMarker, cutText, cutTextSql, rowsWithinBytes, sumSql } from './cell-cut';

/** Python's len() of each value: what pandas' str.len() gives. */
function pythonLengths(values: string[]): number[] {
  const out = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import json,sys; print(json.dumps([len(v) for v in json.load(sys.stdin)]))'],
    { input: JSON.stringify(values) },
  );
  return JSON.parse(out.toString()) as number[];
}

const VALUES = [
  '',
  'abc',
  'abcde',
  'abcdef',
  'é'.repeat(7),
  'e\u0301'.repeat(4), // combining accents: two code points each, as Python counts them
  '🎉'.repeat(6), // astral: one code point (two UTF-16 units) each
  '日本語のテキストです',
  'ab🎉cd🎉ef',
  'x\u0000y'.repeat(3),
];
const CAP = 5;

describe('cell cut (PREVIEW_MAX_CELL_CHARS)', () => {
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  afterAll(() => {
    conn.closeSync();
    db.closeSync();
  });

  it('spells the marker as api.md "Bounds" does', () => {
    expect(cutMarker(50_000_000)).toBe('… [cut: 50000000 chars]');
    expect(cutText('abcdefgh', 3)).toBe('abc… [cut: 8 chars]');
    expect(cutText('abc', 3)).toBe('abc');
  });

  it('counts code points, as Python len() does, and never splits one', () => {
    const lengths = pythonLengths(VALUES);
    VALUES.forEach((value, i) => {
      const cut = cutText(value, CAP);
      if (lengths[i] <= CAP) expect(cut).toBe(value);
      else {
        expect(cut).toBe(`${Array.from(value).slice(0, CAP).join('')}… [cut: ${lengths[i]} chars]`);
        expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut); // no lone surrogate
      }
    });
    expect(cutText('🎉'.repeat(6), CAP)).toBe(`${'🎉'.repeat(5)}… [cut: 6 chars]`);
    expect(cutText('e\u0301'.repeat(4), CAP)).toBe('e\u0301e\u0301e… [cut: 8 chars]');
  });

  it('cuts in SQL exactly as in JavaScript', async () => {
    for (const value of VALUES) {
      const r = await conn.runAndReadAll(`SELECT ${cutTextSql('$v', CAP)} AS cut`, { v: value });
      expect(r.getRowsJson()[0][0]).toBe(cutText(value, CAP));
    }
    const missing = await conn.runAndReadAll(`SELECT ${cutTextSql('CAST(NULL AS VARCHAR)', CAP)}`);
    expect(missing.getRowsJson()[0][0]).toBeNull();
  });

  it('sums thousands of terms (no expression depth limit), NULL counting 0', async () => {
    const terms = Array.from({ length: 16_384 }, (_, i) => (i === 0 ? 'NULL' : '2'));
    const r = await conn.runAndReadAll(`SELECT ${sumSql(terms)}, ${sumSql([])}`);
    expect(r.getRowsJson()[0].map(Number)).toEqual([32_766, 0]);
  });

  it('keeps the first rows within a byte budget, and the first row when asked', () => {
    const sizes = Array.from({ length: 10 }, () => 10);
    expect(rowsWithinBytes(sizes, 35, false)).toBe(3);
    expect(rowsWithinBytes(sizes, 1000, false)).toBe(10);
    expect(rowsWithinBytes(sizes, 5, false)).toBe(0);
    expect(rowsWithinBytes(sizes, 5, true)).toBe(1);
    expect(rowsWithinBytes([], 5, true)).toBe(0);
  });
});
