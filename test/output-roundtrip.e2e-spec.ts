import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DuckDbService, quoteLiteral } from '../src/duckdb/duckdb.service';
import { JobResult, run } from './support/execution-client';
import { PANDAS_PYTHON } from './support/fidelity';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

/**
 * What `transform` returns is what every reader gets: each frame below is downloaded in
 * every format and compared, value by value, by test/support/output_oracle.py with the
 * frame pandas itself builds from the same code (CSV: byte for byte with
 * `out.to_csv(index=False)`, and `read_csv` of both must agree).
 *
 * Every intended difference, with its reason. The oracle accepts a difference only under
 * one of these keys, and each must be needed by some frame below.
 */
const INTENDED: Record<string, string> = {
  'duplicate-names':
    'DuckDB, JSON and Parquet need unique names: duplicates are renamed as read_csv renames a header (a, a.1, ...), and a warning says so.',
  'csv-carriage-return-quoted':
    'pandas leaves a value holding "\\r" unquoted, and its own read_csv then breaks the row there; we quote it.',
  'json-big-integers-as-strings':
    'JSON readers hold numbers as doubles: integers beyond 2^53 are strings, so that no digit is lost.',
  'json-infinity-as-string': 'JSON has no infinity: ±inf are "Infinity" and "-Infinity".',
  'decimal-as-text':
    'Decimal values travel as their text, every digit kept (no reader has a decimal type of any precision).',
  'objects-as-text':
    "A column of mixed Python objects travels as each value's str(), as to_csv writes them; a warning says so.",
  'integers-beyond-64-bits-as-text':
    'No reader has integers wider than 64 bits: Python ints beyond travel as their digits; a warning says so.',
  'xlsx-big-integers-as-text': 'Excel numbers are doubles: integers beyond 2^53 are text cells.',
  'xlsx-infinity-as-text':
    'Excel has no infinity: ±inf are the text inf / -inf, as pandas writes them.',
  'xlsx-milliseconds': 'Excel counts time to the millisecond: finer digits are cut.',
  'xlsx-before-1900-as-text': 'Excel holds no date before 1900-03-01: such dates are text.',
  'xlsx-zoned-as-text':
    'Excel has no time zones (pandas refuses to write them): local time with its offset, as text.',
  'xlsx-duration-as-text':
    'Excel has no duration that holds nanoseconds and signs: text as pandas writes it (1 days 02:03:04).',
  'xlsx-date-read-as-datetime':
    "A date cell reads back in pandas as a datetime at midnight (pandas' reader, the cell is a date).",
  'xlsx-control-characters-escaped':
    'XML holds no control characters: "\\r" and the like are written as _xHHHH_ escapes, which Excel decodes and openpyxl (pandas\' reader) leaves as they are; pandas\' own writer refuses or loses them.',
  'xlsx-empty-text-read-as-missing':
    'pandas reads an empty text cell as missing (as read_csv reads "" in its own CSV).',
  'pandas-reader-names-empty-header':
    'pandas\' readers name an empty header "Unnamed: i"; the file holds the empty name.',
  'parquet-zone-kept-as-utc':
    'Parquet keeps no zone name: zone-aware values are UTC instants (isAdjustedToUTC, nanoseconds); preview, CSV and JSON keep the zone.',
  'parquet-zoned-nanoseconds-read-by-duckdb-as-micro':
    'The file holds nanoseconds, but DuckDB (the reader here; pandas has no pyarrow) reads zone-aware timestamps to the microsecond.',
  'parquet-duration-as-text':
    'Parquet has no duration type (its INTERVAL holds no nanoseconds nor signs): text as pandas writes it.',
};

interface Scenario {
  name: string;
  code: string;
  columns?: string[];
  warnings?: RegExp[];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'every dtype, with missing values, extremes and zones',
    code: `import datetime as dt
from decimal import Decimal
import numpy as np
import pandas as pd

def transform(df):
    return pd.DataFrame({
        "int64": np.array([0, -1, 2**53 + 1, -(2**63), 2**63 - 1], dtype="int64"),
        "int32": np.array([1, -2, 3, 2**31 - 1, -(2**31)], dtype="int32"),
        "uint8": np.array([0, 1, 2, 254, 255], dtype="uint8"),
        "uint64": np.array([0, 1, 2**53 + 1, 2**63, 2**64 - 1], dtype="uint64"),
        "Int64": pd.array([1, None, -(2**62), 2**53 + 3, None], dtype="Int64"),
        "float64": [0.1, 1e-05, np.nan, np.inf, -0.0],
        "float_more": [1e16, 123456789.0, -np.inf, 5e-324, 1.7976931348623157e308],
        "float32": np.array([0.1, 1 / 3, np.nan, 3.4e38, 16777217.0], dtype="float32"),
        "Float64": pd.array([0.5, None, 2.0, None, -1.25], dtype="Float64"),
        "bool": [True, False, True, False, True],
        "boolean": pd.array([True, None, False, None, True], dtype="boolean"),
        "object_bool": pd.Series([True, None, False, np.nan, True], dtype=object),
        "datetime": pd.to_datetime(["2024-03-01 10:00:00", None, "1677-09-22", "2262-04-11 23:47:16.854775806", "2024-03-01 00:00:00.000000001"]),
        "dates_only": pd.to_datetime(["2024-03-01", None, "1900-02-28", "2000-01-01", "1969-12-31"]),
        "millis": pd.to_datetime(["2024-03-01 10:00:00.5", "1969-12-31 23:59:59.999", None, "2024-03-01", "1850-01-01 00:00:00.001"]),
        "paris": pd.to_datetime(["2024-03-31 01:59:59", "2024-03-31 03:00:00", None, "2024-10-27 02:30:00.000000001", "1970-01-01"]).tz_localize("Europe/Paris", ambiguous=[True, True, True, True, True]),
        "fixed": pd.to_datetime(["2024-03-01 00:00:00+05:30", "2024-03-01 23:59:59.5+05:30", None, "1999-12-31 12:00+05:30", "2024-01-01 00:00+05:30"]),
        "utc": pd.to_datetime(["2024-03-01T10:00:00Z", None, "2024-03-01T10:00:00.123456Z", "1900-01-01T00:00:00Z", "2262-01-01T00:00:00Z"]),
        "timedelta": pd.to_timedelta(["1 days 02:03:04", "-1s", None, "1ns", "-2 days 00:00:00.5"]),
        "whole_days": pd.to_timedelta(["1 days", "-3 days", None, "0 days", "10000 days"]),
        "category": pd.Categorical(["x", None, "y", "x", "z"]),
        "category_int": pd.Categorical([1, None, 2, 1, 3]),
        "string": pd.array(["a", None, "", "é", "x,y"], dtype="string"),
        "object_str": pd.Series(["a", None, "", np.nan, 'q"uote'], dtype=object),
        "date": [dt.date(2024, 3, 1), None, dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1900, 3, 1)],
        "time": [dt.time(10, 0), None, dt.time(0, 0, 0, 500), dt.time(23, 59, 59, 999999), dt.time(12, 30, 1, 2000)],
        "decimal": [Decimal("1.10"), None, Decimal("12345678901234567890.123456789"), Decimal("-0"), Decimal("1E+3")],
        "mixed": [1, "two", 3.5, None, [1, 2]],
        "big_python_int": [2**70, 1, None, -(2**70), 5],
    })
`,
    warnings: [
      /Column 'decimal' holds Decimal values/,
      /Column 'mixed' holds Python objects \(int, str, float, list\)/,
      /Column 'big_python_int' holds integers beyond 64 bits/,
      /Column 'int64' holds integers beyond 2\^53/,
      /Column 'uint64' holds integers beyond 2\^53/,
      /Column 'timedelta' holds durations/,
      /Column 'paris' is zone-aware \(Europe\/Paris\)/,
      /Column 'datetime' has sub-millisecond digits/,
      /Column 'date' has dates before 1900-03-01/,
    ],
  },
  {
    name: 'value_counts(): the labels in an unnamed index come back as column "index"',
    code: `import pandas as pd

def transform(df):
    orders = pd.DataFrame({"region": ["North", "South", "North", "East", "North", "South"]})
    return orders["region"].value_counts().to_frame()
`,
    columns: ['index', 'region'],
    warnings: [/index was kept as its first column 'index'/],
  },
  {
    name: 'describe(): the statistic names come back',
    code: `import pandas as pd

def transform(df):
    return pd.DataFrame({"amount": [120.0, 80.5, 42.0, 300.0, 17.5, 64.0]}).describe()
`,
    columns: ['index', 'amount'],
  },
  {
    name: 'a MultiIndex, named and unnamed levels',
    code: `import pandas as pd

def transform(df):
    data = pd.DataFrame({"k1": ["a", "a", "b"], "k2": [1, 2, 1], "v": [1.5, 2.5, 3.5]})
    out = data.groupby(["k1", "k2"]).sum()
    out.index = out.index.set_names(["k1", None])
    return out
`,
    columns: ['k1', 'level_1', 'v'],
    warnings: [/index levels were kept as its first columns 'k1', 'level_1'/],
  },
  {
    name: 'an unnamed integer index (rows after a filter and sort) is dropped',
    code: `import pandas as pd

def transform(df):
    data = pd.DataFrame({"n": [5, 1, 4, 2, 3]})
    return data[data["n"] > 1].sort_values("n")
`,
    columns: ['n'],
  },
  {
    name: 'a named index that repeats a column name, and duplicate columns',
    code: `import pandas as pd

def transform(df):
    out = pd.DataFrame([[1, 2, 3, 4]], columns=["a", "a", "a.1", "b"])
    out.index = pd.Index(["r"], name="b")
    return out
`,
    columns: ['b', 'a', 'a.2', 'a.1', 'b.1'],
    warnings: [/renamed as pandas' read_csv renames them: 'a' → 'a.2', 'b' → 'b.1'/],
  },
  {
    name: 'any column name survives',
    code: `import pandas as pd

NAMES = ["__proto__", "constructor", "A", "a", "x,y", 'q"t', " lead ", "new\\nline", "é日本", "rowid", "c0", "", 7, None]

def transform(df):
    return pd.DataFrame([list(range(len(NAMES))), list(range(len(NAMES)))], columns=NAMES)
`,
    columns: [
      '__proto__',
      'constructor',
      'A',
      'a',
      'x,y',
      'q"t',
      ' lead ',
      'new\nline',
      'é日本',
      'rowid',
      'c0',
      '',
      '7',
      '.1',
    ],
    warnings: [/renamed as pandas' read_csv renames them: '' → '\.1'/],
  },
  {
    name: 'one column with missing and empty values',
    code: `import pandas as pd

def transform(df):
    return pd.DataFrame({"only": ["x", None, "", "y"]})
`,
  },
  {
    name: 'text with carriage returns, quotes and newlines',
    code: `import pandas as pd

def transform(df):
    return pd.DataFrame({"s": ["a\\rb", 'say "hi"', "two\\nlines", "plain"], "n": [1, 2, 3, 4]})
`,
  },
  {
    name: 'no rows',
    code: `import pandas as pd

def transform(df):
    return pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype=object), "t": pd.Series([], dtype="datetime64[ns]")})
`,
  },
];

interface ParquetDump {
  schema: { name: string; logical: string }[];
  types: string[];
  rows: (string | null)[][];
}

interface OracleAnswer {
  problems: string[];
  used: string[];
  names: string[];
}

function oracle(input: unknown): Promise<OracleAnswer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PANDAS_PYTHON,
      [join(__dirname, 'support', 'output_oracle.py')],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`oracle failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as OracleAnswer);
      },
    );
    child.stdin?.end(JSON.stringify(input));
  });
}

describe('Output round trip: every download, read back by pandas, equals the frame transform returned', () => {
  let t: TestApp;
  let session: string;
  let dir: string;
  const usedKeys = new Set<string>();

  beforeAll(async () => {
    t = await startTestApp({ PREVIEW_ROW_COUNT: '3' });
    session = await uploadCsv(t, 'x\n1\n');
    dir = mkdtempSync(join(tmpdir(), 'acb-roundtrip-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  async function download(job: string, format: string): Promise<Buffer> {
    const res = await request(t.http)
      .get(`${t.prefix}/execute/${session}/${job}/output`)
      .query({ format })
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    return res.body as Buffer;
  }

  /** DuckDB's reading of the Parquet download, every value as exact text. */
  async function readParquet(file: string): Promise<ParquetDump> {
    const duckdb = t.app.get(DuckDbService);
    const path = quoteLiteral(file);
    const schema = (
      await duckdb.queryJson(
        `SELECT name, coalesce(logical_type, '') AS logical FROM parquet_schema(${path}) WHERE num_children IS NULL`,
      )
    ).map((r) => ({ name: r.name as string, logical: r.logical as string }));
    const aliases = schema.map((_, i) => `p${i}`);
    const source = `read_parquet(${path}) AS t(${aliases.join(', ')})`;
    const types = (await duckdb.queryJson(`DESCRIBE SELECT * FROM ${source}`)).map(
      (r) => r.column_type as string,
    );
    const text = (p: string, type: string): string => {
      if (type === 'TIMESTAMP_NS') return `CAST(epoch_ns(${p}) AS VARCHAR)`;
      if (type === 'TIMESTAMP WITH TIME ZONE') return `CAST(epoch_us(${p}) AS VARCHAR)`;
      return `CAST(${p} AS VARCHAR)`;
    };
    const select = aliases.map((p, i) => `${text(p, types[i])} AS ${p}`).join(', ');
    const rows = await duckdb.withConnection(async (conn) =>
      (await conn.runAndReadAll(`SELECT ${select} FROM ${source}`)).getRows(),
    );
    return { schema, types, rows: rows.map((r) => r.map((v) => (v === null ? null : String(v)))) };
  }

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s',
    async (_name, scenario) => {
      const job: JobResult = await run(t, session, scenario.code);
      expect(job.error_message).toBeNull();
      expect(Array.isArray(job.warnings)).toBe(true);
      const files: Record<string, string> = {};
      for (const format of ['csv', 'json', 'xlsx', 'parquet']) {
        files[format] = join(dir, `${job.job_id}.${format}`);
        writeFileSync(files[format], await download(job.job_id, format));
      }
      const answer = await oracle({
        code: scenario.code,
        csv: files.csv,
        json: files.json,
        xlsx: files.xlsx,
        parquet: await readParquet(files.parquet),
        intended: Object.keys(INTENDED),
      });
      expect(answer.problems).toEqual([]);
      answer.used.forEach((k) => usedKeys.add(k));

      expect(job.preview_columns).toEqual(answer.names);
      if (scenario.columns) expect(job.preview_columns).toEqual(scenario.columns);
      // The preview is the JSON download's first rows, keys in order, nothing else.
      const json = JSON.parse(
        (await download(job.job_id, 'json')).toString('utf8'),
        (_key, value: unknown) => value,
      ) as Record<string, unknown>[];
      expect(job.preview_rows).toEqual(json.slice(0, 3));
      // (JavaScript lists integer-like keys first; the file's order is checked by the oracle.)
      const names = [...job.preview_columns].sort();
      job.preview_rows.forEach((row) => expect(Object.keys(row).sort()).toEqual(names));
      for (const pattern of scenario.warnings ?? [])
        expect(job.warnings).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
    },
    60_000,
  );

  it('needed every intended difference it lists', () => {
    expect([...usedKeys].sort()).toEqual(Object.keys(INTENDED).sort());
  });
});
