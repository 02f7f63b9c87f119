import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogger } from '../../common/logging/app-logger.service';
import { DuckDbService, quoteIdent } from '../../duckdb/duckdb.service';
import { pandasColumn } from '../../duckdb/pandas-columns';
import { CsvIngester } from './csv-ingester';
import { typingWarnings } from './pandas-typing';

/**
 * The CSV reader against pandas itself: each file is read by the ingester (real DuckDB)
 * and by `pandas.read_csv` (/usr/bin/python3, the sandbox's pandas 1.5.3), and every
 * dtype and value must agree. Intended differences are applied to pandas' side in
 * ORACLE below, each with its reason, and nowhere else.
 */
const ORACLE = `
import json, sys
import pandas as pd
out = []
for path, ours in json.load(sys.stdin):
    df = pd.read_csv(path)
    cols = []
    for i, name in enumerate(df.columns):
        s = df.iloc[:, i]
        mine = ours[i]
        # Intended: a column of ISO dates inside pandas' range arrives as datetime64 (api.md).
        if mine == "datetime64[ns]" and s.dtype == object:
            s = pd.to_datetime(s)
        # Intended: integers with missing values beyond 2^53 stay exact (Int64, not float64).
        if mine == "Int64" and s.dtype == "float64":
            text = pd.read_csv(path, dtype={name: str}).iloc[:, i]
            s = pd.Series([None if pd.isna(x) else int(x) for x in text], dtype="Int64")
        # Intended: pandas 1.5.3 leaves '' for a missing value in a column of integers
        # beyond int64 (a bug); we keep it missing.
        if mine == "object" and s.dtype == object:
            s = s.where(s != "", None)
        values = []
        for v in s.tolist():
            if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v is pd.NaT:
                values.append(None)
            elif isinstance(v, bool):
                values.append(v)
            elif isinstance(v, int):
                values.append(str(v))
            elif isinstance(v, float):
                values.append(v if abs(v) != float("inf") else ("inf" if v > 0 else "-inf"))
            elif isinstance(v, pd.Timestamp):
                values.append(str(v.value))
            else:
                values.append(str(v))
        cols.append({"name": str(name), "dtype": str(s.dtype), "values": values})
    out.append(cols)
print(json.dumps(out))
`;

interface OracleColumn {
  name: string;
  dtype: string;
  values: (string | number | boolean | null)[];
}

const silentLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** One file a case: the kinds of value pandas types (or keeps as text) its own way. */
const CASES: Record<string, string> = {
  naTokens:
    'i,f,b,s,all_na\n' +
    '1,1.5,True,x,NA\n' +
    'NA,N/A,NULL,null,\n' +
    '3,#N/A,false,<NA>,NaN\n' +
    '4,nan,TRUE,-NaN,n/a\n' +
    '"5","",False,"NA",#NA\n',
  tokensThatAreText: 'a,b,c\nNone,-,none\nnil,.,?\n',
  integers:
    'small,neg,lead0,spaced,big,uint,huge\n1,-1,007,  12 ,9007199254740993,18446744073709551615,123456789012345678901\n2,-2,010,13,2,1,1\n',
  bigIntsWithMissing: 'a,b\n9007199254740993,1\n,2\n9223372036854775807,3\n',
  beyondInt64WithMissing: 'a,b\n9223372036854775808,1\n,2\n1,3\n',
  oneColumnBlankLines: 'a\n1\n\nNA\n""\n3\n',
  floats: 'a,b,c,d,e\n1.5,1e3,.5,inf,1.\n2,1E+05,-.5e-3,-Infinity,2\n',
  notNumbers:
    'hex,under,exp,double_dot,comma,overflow\n0x1A,1_000,1.5e,1.2.3,"1,5",1e500\n0x1B,2_000,2e,2.3.4,"2,5",2\n',
  booleans:
    'words,with_na,mixed,letters,yes_no,ones\nTrue,true,True,t,yes,1\nFALSE,,1,f,no,0\nfalse,FALSE,False,t,yes,1\n',
  dates:
    'day,second,t_sep,fraction,out_of_range,slash,offset\n' +
    '2024-03-01,2024-03-01 10:00:00,2024-03-01T10:00:00,2024-03-01 10:00:00.123456789,9999-12-31,03/01/2024,2024-03-01T10:00:00+01:00\n' +
    '2024-3-2,2024-03-02 11:30:00,2024-03-02T11:30,2024-03-02 10:00:00.5,2024-01-01,03/02/2024,2024-03-02T10:00:00+01:00\n',
  mixed: 'a,b,c\n1,x,2024-01-01\n2.5,3,yes\n',
  shortRows: 'a,b,c\n1,2,3\n4,5\n6\n',
  headerOnly: 'a,b\n',
  yearHeader: 'region,2022,2023\nNorth,10,11\nSouth,12,13\n',
  names: 'rowid,__proto__,Amount,amount, spaced ,a,a,\n1,2,3,4,5,6,7,8\n',
};

/** A column of integers whose first float comes after the head the reader guesses from. */
function lateFloat(): string {
  const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${i % 7}`);
  rows.push('1.5,2');
  return `a,b\n${rows.join('\n')}\n`;
}

describe('CsvIngester against pandas.read_csv', () => {
  let root: string;
  let duckdb: DuckDbService;
  let ingester: CsvIngester;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'csv-ingester-'));
    duckdb = new DuckDbService(
      { inboundDir: root, tempDir: join(root, 'tmp'), logDir: root },
      { memoryLimitMb: 256, threads: 1 },
      silentLogger as unknown as AppLogger,
    );
    await duckdb.onModuleInit();
    ingester = new CsvIngester(duckdb);
  });
  afterAll(async () => {
    await duckdb.onApplicationShutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives every column the dtype and values pandas gives it', async () => {
    const files = { ...CASES, lateFloat: lateFloat() };
    const ours: [string, OracleColumn[]][] = [];
    for (const [label, text] of Object.entries(files)) {
      const path = join(root, `${label}.csv`);
      writeFileSync(path, text);
      const table = `t_${label}`;
      const ingested = await ingester.ingest(path, table, { header: true });
      const dtypes = ingested.columns.map((c) => c.dtype);
      // Timestamps compared as nanoseconds since the epoch.
      const select = dtypes
        .map((d, i) =>
          d.startsWith('datetime64') ? `epoch_ns(${pandasColumn(i, d)})` : pandasColumn(i, d),
        )
        .join(', ');
      const rows = await duckdb.withConnection(async (conn) =>
        (
          await conn.runAndReadAll(`SELECT ${select} FROM ${quoteIdent(table)} ORDER BY rowid`)
        ).getRowsJson(),
      );
      ours.push([
        path,
        ingested.columns.map((c, i) => ({
          name: c.name,
          dtype: c.dtype,
          values: rows.map((r) => normalise(r[i], c.dtype)),
        })),
      ]);
    }
    const input = JSON.stringify(ours.map(([path, cols]) => [path, cols.map((c) => c.dtype)]));
    const pandas = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', ORACLE], { input }).toString(),
    ) as OracleColumn[][];
    ours.forEach(([path, columns], f) => {
      expect({ path, columns }).toEqual({ path, columns: pandas[f] });
    });
  }, 60_000);

  it('reads a file without a header row as data, columns column_1..n', async () => {
    const path = join(root, 'headless.csv');
    writeFileSync(path, '2022,2023\n10,11\n');
    const ingested = await ingester.ingest(path, 't_headless', { header: false });
    expect(ingested.rowCount).toBe(2);
    expect(ingested.columns).toEqual([
      { name: 'column_1', dtype: 'int64' },
      { name: 'column_2', dtype: 'int64' },
    ]);
  });

  it('says what it did in warnings', async () => {
    const path = join(root, 'warned.csv');
    writeFileSync(
      path,
      'id,ends,at,zip\n1,9999-12-31,2024-01-01,08123\n,2024-01-01,2024-01-02,10115\n',
    );
    const ingested = await ingester.ingest(path, 't_warned', { header: true });
    expect(ingested.warnings.join('\n')).toMatch(/"ends" holds dates but keeps them as text/);
    expect(ingested.warnings.join('\n')).toMatch(/"at" holds dates, so it arrives as datetime64/);
    expect(ingested.warnings.join('\n')).toMatch(
      /"zip" holds numbers written with leading zeros.*"08123"/,
    );
  });
});

/** Our value in the oracle's spelling (see ORACLE). */
function normalise(value: unknown, dtype: string): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (dtype === 'float64') {
    const n = typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(n)) return null;
    return Number.isFinite(n) ? n : n > 0 ? 'inf' : '-inf';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

describe('typingWarnings', () => {
  it('says one sentence per kind, naming a few columns and counting the rest', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const zeros = names.map((_, column) => ({
      column,
      kind: 'leadingZeros' as const,
      example: '007',
    }));
    expect(typingWarnings([...zeros, { column: 1, kind: 'dates' }], names)).toEqual([
      'Columns "a", "b", "c", "d", "e" and 3 more hold numbers written with leading zeros (e.g. "007"); like pandas.read_csv, the reader takes them as numbers, so the zeros are gone.',
      'Column "b" holds dates, so it arrives as datetime64[ns] (pandas.read_csv would keep the text).',
    ]);
  });
});
