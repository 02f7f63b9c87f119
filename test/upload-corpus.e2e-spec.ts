import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import request from 'supertest';
import { CORPUS_DIR, startTestApp, TestApp } from './support/test-app';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

// Workbooks are covered by upload-xlsx.e2e-spec.ts; every other corpus file is here.
const files = filesUnder(CORPUS_DIR)
  .filter((f) => !f.endsWith('.xlsx'))
  .map((f) => relative(CORPUS_DIR, f));

/** Files whose outcome a careful person can state in advance. */
const EXPECTED: Record<
  string,
  { status: number; columns?: string[]; rows?: number; detail?: RegExp }
> = {
  'frictionless/data/table.csv': { status: 200, columns: ['id', 'name'], rows: 2 },
  'frictionless/data/latin1.csv': { status: 200, columns: ['id', 'name'], rows: 2 },
  'frictionless/data/country-2.csv': {
    status: 200,
    columns: ['id', 'neighbor_id', 'name', 'population'],
  },
  'frictionless/data/duplicate-headers.csv': {
    status: 200,
    columns: ['id', 'name', 'id_2', 'age', 'id_3'],
  },
  'frictionless/data/blank-headers.csv': { status: 200, columns: ['id', 'column_2', 'age'] },
  'frictionless/data/empty.csv': { status: 400, detail: /empty/ },
  'frictionless/data/table.xls': { status: 400, detail: /not accepted/ },
  'frictionless/data/issue-1066.csv': { status: 200, rows: undefined },
};

describe('every corpus file uploads or is refused with a reason', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it.each(files)('%s', async (file) => {
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', readFileSync(join(CORPUS_DIR, file)), basename(file));
    if (res.status === 200) {
      expect(res.body.column_count).toBeGreaterThan(0);
      expect(res.body.columns).toHaveLength(res.body.column_count);
      expect(new Set(res.body.columns).size).toBe(res.body.column_count);
      expect(res.body.columns.every((c: string) => c.trim().length > 0)).toBe(true);
      // JSON objects list integer-like keys first, so compare as sets.
      expect(Object.keys(res.body.dtypes).sort()).toEqual([...res.body.columns].sort());
      expect(res.body.row_count).toBeGreaterThanOrEqual(0);
    } else {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof res.body.detail).toBe('string');
      expect(res.body.detail).not.toMatch(/\/tmp|\/work|Error:|duckdb/i);
    }
    const expected = EXPECTED[file];
    if (expected) {
      expect(res.status).toBe(expected.status);
      if (expected.columns) expect(res.body.columns).toEqual(expected.columns);
      if (expected.rows !== undefined) expect(res.body.row_count).toBe(expected.rows);
      if (expected.detail) expect(res.body.detail).toMatch(expected.detail);
    }
  });
});

describe('long lines', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('loads a cell longer than DuckDB default line limit', async () => {
    const cell = 'x'.repeat(3 * 1024 * 1024);
    const res = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.from(`a,b\n1,"${cell}"\n2,short\n`), 'long.csv')
      .expect(200);
    expect(res.body).toMatchObject({ columns: ['a', 'b'], row_count: 2 });
  });
});
