import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import * as XLSX from 'xlsx';
import { DuckDbService, quoteLiteral } from '../src/duckdb/duckdb.service';
import { SandboxPool } from '../src/sandbox/pool/sandbox-pool';
import { ERROR_MESSAGE_MAX_CHARS } from '../src/sandbox/sandbox-limits';
import { childrenOf } from '../src/sandbox/drivers/sandbox-spawn';
import { SandboxWorkspace } from '../src/sandbox/sandbox-workspace';
import { jobResult, run, submit, waitForJob } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const TIMEOUT_SECONDS = 3;

/** Waits for a condition of the server's state; a liveness bound, not a timing assertion. */
async function until(condition: () => boolean, boundMs = 30_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const MAX_ROWS = 1000;
const MAX_OUTPUT_BYTES = 64 * 1024;
const PREVIEW_ROWS = 5;

const SALES = [
  'id,region,amount,when,ok',
  '1,north,10.5,2024-01-01,true',
  '2,south,3,2024-01-02,false',
  '3,north,1.5,2024-01-03,true',
  '4,east,7,2024-01-04,false',
  '5,south,2,2024-01-05,true',
  '6,north,,2024-01-06,false',
  '7,west,4.25,2024-01-07,true',
].join('\n');

const GROUP_BY = `import pandas as pd

def transform(df: pd.DataFrame) -> pd.DataFrame:
    print("rows in:", len(df))
    out = df.groupby("region", as_index=False).agg(total=("amount", "sum"), n=("id", "count"))
    return out.sort_values("region").reset_index(drop=True)
`;

const EXPECTED_GROUPS = [
  { region: 'east', total: 7, n: 1 },
  { region: 'north', total: 12, n: 3 },
  { region: 'south', total: 5, n: 2 },
  { region: 'west', total: 4.25, n: 1 },
];

describe('Execution: POST /execute, job status, preview and download', () => {
  let t: TestApp;
  let session: string;
  let groupJob: string;

  beforeAll(async () => {
    t = await startTestApp({
      SANDBOX_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      SANDBOX_MAX_OUTPUT_ROWS: String(MAX_ROWS),
      MAX_OUTPUT_BYTES: String(MAX_OUTPUT_BYTES),
      PREVIEW_ROW_COUNT: String(PREVIEW_ROWS),
      SANDBOX_POOL_SIZE: '2',
      SANDBOX_MAX_CONCURRENCY: '2',
    });
    session = await uploadCsv(t, SALES, 'sales.csv');
  });
  afterAll(async () => t.close());

  const output = (job: string, format?: string) =>
    request(t.http)
      .get(`${t.prefix}/execute/${session}/${job}/output`)
      .query(format ? { format } : {})
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

  describe('a correct transform (group-by)', () => {
    beforeAll(async () => {
      const res = await submit(t, session, GROUP_BY).expect(200);
      expect(Object.keys(res.body)).toEqual(['job_id']);
      groupJob = res.body.job_id;
    });

    it('moves to success with the right preview, columns and stdout', async () => {
      const job = await waitForJob(t, session, groupJob);
      expect(job).toMatchObject({
        job_id: groupJob,
        status: 'success',
        error_message: null,
        preview_columns: ['region', 'total', 'n'],
        preview_rows: EXPECTED_GROUPS,
        output_row_count: 4,
      });
      expect(job.stdout).toBe('rows in: 7\n');
      expect(Number.isInteger(job.execution_time_ms)).toBe(true);
    });

    it('downloads CSV by default, with the contract file name', async () => {
      const res = await output(groupJob).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="output_${groupJob.slice(0, 8)}.csv"`,
      );
      expect((res.body as Buffer).toString('utf8').trim().split('\n')).toEqual([
        'region,total,n',
        'east,7.0,1',
        'north,12.0,3',
        'south,5.0,2',
        'west,4.25,1',
      ]);
    });

    it('downloads JSON records', async () => {
      const res = await output(groupJob, 'json').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toContain(`output_${groupJob.slice(0, 8)}.json`);
      expect(JSON.parse((res.body as Buffer).toString('utf8'))).toEqual(EXPECTED_GROUPS);
    });

    it('downloads Parquet that reads back to the same rows', async () => {
      const res = await output(groupJob, 'parquet').expect(200);
      expect(res.headers['content-type']).toBe('application/vnd.apache.parquet');
      expect(res.headers['content-disposition']).toContain(
        `output_${groupJob.slice(0, 8)}.parquet`,
      );
      const body = res.body as Buffer;
      expect(body.subarray(0, 4).toString()).toBe('PAR1');
      const dir = mkdtempSync(join(tmpdir(), 'acb-parquet-'));
      try {
        const file = join(dir, 'out.parquet');
        writeFileSync(file, body);
        const rows = await t.app
          .get(DuckDbService)
          .queryJson(`SELECT * FROM read_parquet(${quoteLiteral(file)})`);
        expect(rows).toEqual(EXPECTED_GROUPS);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('downloads an XLSX workbook with a header row', async () => {
      const res = await output(groupJob, 'xlsx').expect(200);
      expect(res.headers['content-type']).toBe(
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      expect(res.headers['content-disposition']).toContain(`output_${groupJob.slice(0, 8)}.xlsx`);
      const book = XLSX.read(res.body as Buffer, { type: 'buffer' });
      const rows = XLSX.utils.sheet_to_json(book.Sheets[book.SheetNames[0]]);
      expect(rows).toEqual(EXPECTED_GROUPS);
    });

    it('answers 400 for an unknown format', async () => {
      const res = await output(groupJob, 'pickle').expect(400);
      expect(JSON.parse((res.body as Buffer).toString()).detail).toMatch(
        /Unknown format 'pickle'.*csv, parquet, xlsx, json/,
      );
    });

    it('lists the job in the session metadata', async () => {
      const res = await request(t.http).get(`${t.prefix}/sessions/${session}`).expect(200);
      expect(res.body.jobs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ job_id: groupJob, status: 'success', output_row_count: 4 }),
        ]),
      );
    });
  });

  describe('data in and out', () => {
    it('gives df exactly the dtypes the upload reported', async () => {
      const csv =
        'i,f,gaps,b,bn,s,d,tz\n1,1.5,1,true,true,x,2024-01-01,2024-01-01T10:00:00Z\n2,2.5,,false,,y,2024-02-01,2024-02-01T11:30:00Z\n';
      const upload = await request(t.http)
        .post(`${t.prefix}/upload`)
        .attach('file', Buffer.from(csv), 'types.csv')
        .expect(200);
      const job = await run(
        t,
        upload.body.session_id,
        `import pandas as pd

def transform(df):
    return pd.DataFrame([{column: str(dtype) for column, dtype in df.dtypes.items()}])
`,
      );
      expect(job.status).toBe('success');
      const seen = job.preview_rows[0];
      expect(seen).toEqual(upload.body.dtypes);
      expect(seen).toMatchObject({
        i: 'int64',
        f: 'float64',
        gaps: 'float64',
        b: 'bool',
        bn: 'object',
        s: 'object',
      });
      expect(seen.d).toBe('datetime64[ns]');
    });

    it('loads the values themselves faithfully (nulls as NaN/NaT, booleans, timestamps)', async () => {
      const csv = 'n,x,flag,when,s\n1,,true,2024-03-04 05:06:07,héllo wörld\n2,2.5,,,\n';
      const sid = await uploadCsv(t, csv);
      const job = await run(
        t,
        sid,
        `import pandas as pd

def transform(df):
    return pd.DataFrame({
        "x_is_nan": [bool(pd.isna(df["x"][0]))],
        "flag0": [repr(df["flag"][0])],
        "flag1_is_nan": [bool(pd.isna(df["flag"][1]))],
        "when0": [df["when"][0].isoformat()],
        "when1_is_nat": [df["when"][1] is pd.NaT],
        "n_sum": [int(df["n"].sum())],
        "s0": [df["s"][0]],
        "s1_is_nan": [bool(pd.isna(df["s"][1]))],
    })
`,
      );
      expect(job.preview_rows).toEqual([
        {
          x_is_nan: true,
          flag0: 'True',
          flag1_is_nan: true,
          when0: '2024-03-04T05:06:07',
          when1_is_nat: true,
          n_sum: 3,
          s0: 'héllo wörld',
          s1_is_nan: true,
        },
      ]);
    });

    it('stores output of many dtypes JSON-safe, with a named index kept as a column', async () => {
      const job = await run(
        t,
        session,
        `import numpy as np
import pandas as pd

def transform(df):
    out = pd.DataFrame({
        "ints": pd.array([1, None, 3], dtype="Int64"),
        "floats": [1.5, np.nan, np.inf],
        "flags": [True, False, True],
        "stamps": pd.to_datetime(["2024-01-01 10:00", None, "2024-01-03"]),
        "utc": pd.to_datetime(["2024-01-01T10:00:00Z", "2024-01-02T00:00:00Z", None], utc=True),
        "text": ["a", None, "c\\u00e9"],
        "mixed": [1, "two", 3.5],
        "cat": pd.Categorical(["x", "y", "x"]),
    })
    out.index = pd.Index(["r1", "r2", "r3"], name="key")
    return out
`,
      );
      expect(job.status).toBe('success');
      expect(job.preview_columns).toEqual([
        'key',
        'ints',
        'floats',
        'flags',
        'stamps',
        'utc',
        'text',
        'mixed',
        'cat',
      ]);
      expect(job.preview_rows[1]).toMatchObject({
        key: 'r2',
        ints: null,
        floats: null,
        flags: false,
        stamps: null,
        text: null,
      });
      expect(job.preview_rows[2]).toMatchObject({
        floats: 'Infinity',
        text: 'cé',
        mixed: '3.5',
        cat: 'x',
      });
      expect(job.preview_rows[0].stamps).toBe('2024-01-01T10:00:00');
      expect(String(job.preview_rows[0].utc)).toMatch(/^2024-01-01T10:00:00/);
    });

    it('keeps many text values in file order, missing ones as NaN', async () => {
      const rows = 150_000;
      const lines = ['i,s'];
      for (let i = 0; i < rows; i++) lines.push(`${i},${i % 7 === 0 ? '' : `v${i}`}`);
      const sid = await uploadCsv(t, lines.join('\n'));
      const job = await run(
        t,
        sid,
        `import pandas as pd

def transform(df):
    expected = ["v%d" % i for i in df["i"]]
    present = df["s"].notna()
    ok = bool((df.loc[present, "s"] == pd.Series(expected)[present]).all())
    return pd.DataFrame({"rows": [len(df)], "ok": [ok], "missing": [int((~present).sum())]})
`,
      );
      expect(job.preview_rows).toEqual([{ rows, ok: true, missing: Math.ceil(rows / 7) }]);
    });

    it('ordinary pandas keeps working under every sandbox layer', async () => {
      const job = await run(
        t,
        session,
        `import json
import re
import statistics
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo
import numpy as np
import pandas as pd

def transform(df):
    df = df.copy()
    df["when"] = pd.to_datetime(df["when"]).dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
    limit = 2
    big = df.query("id > @limit").eval("double = amount * 2")
    pivot = big.pivot_table(index="region", values="double", aggfunc="sum").reset_index()
    merged = pivot.merge(df.groupby("region", as_index=False)["id"].count(), on="region")
    merged["rolling"] = merged["id"].rolling(2, min_periods=1).mean()
    merged["upper"] = merged["region"].str.upper().apply(lambda s: re.sub("[AEIOU]", "*", s))
    merged["paris"] = datetime(2024, 7, 1, tzinfo=ZoneInfo("Europe/Paris")).isoformat()
    merged["stats"] = json.dumps({"median": statistics.median(df["id"]), "top": Counter(df["region"]).most_common(1)[0][0]})
    merged["offset"] = str(df["when"].iloc[0].utcoffset())
    merged["std"] = float(np.std(df["id"]))
    return merged.sort_values("region")
`,
      );
      expect(job.error_message).toBeNull();
      expect(job.preview_rows[0]).toMatchObject({
        region: 'east',
        double: 14,
        id: 1,
        rolling: 1,
        upper: '**ST',
        paris: '2024-07-01T00:00:00+02:00',
        stats: '{"median": 4, "top": "north"}',
        offset: '1:00:00',
      });
    });

    it('says what was represented differently, in at most 100 sentences', async () => {
      const plain = await run(t, session, 'def transform(df):\n    return df[["id"]]\n');
      expect(plain.warnings).toEqual([]);
      const wide = await run(
        t,
        session,
        `import pandas as pd

def transform(df):
    return pd.DataFrame({f"d{i}": pd.to_timedelta([i], unit="s") for i in range(150)})
`,
      );
      expect(wide.status).toBe('success');
      expect(wide.warnings).toHaveLength(100);
      expect(wide.warnings[0]).toMatch(/^Column 'd0' holds durations/);
      expect(wide.warnings[99]).toBe('51 more notes like these were left out.');
      const failed = await run(t, session, 'def transform(df):\n    return None\n');
      expect(failed.warnings).toEqual([]);
    });

    it('caps the preview at PREVIEW_ROW_COUNT rows in order', async () => {
      const job = await run(t, session, 'def transform(df):\n    return df[["id"]]\n');
      expect(job.output_row_count).toBe(7);
      expect(job.preview_rows).toEqual([1, 2, 3, 4, 5].map((id) => ({ id })));
    });
  });

  describe('code that fails the static check answers 400', () => {
    it.each([
      [
        'a syntax error, with line and column',
        'import pandas as pd\ndef transform(df)\n    return df\n',
        /line 2, column \d+: SyntaxError/,
      ],
      [
        'a forbidden import',
        'import os\n\ndef transform(df):\n    return df\n',
        /line 1, column 1: import of 'os' is not allowed/,
      ],
      [
        'a missing transform',
        'import pandas as pd\n\ndef run(df):\n    return df\n',
        /no top-level function 'def transform\(df\)'/,
      ],
      [
        'a dunder attribute',
        'def transform(df):\n    return df.__class__\n',
        /dunder attribute '__class__'/,
      ],
      [
        'a forbidden builtin',
        'def transform(df):\n    return eval("df")\n',
        /'eval' is not allowed/,
      ],
      [
        'pandas I/O',
        'def transform(df):\n    df.to_csv("/tmp/x")\n    return df\n',
        /'to_csv' is not allowed/,
      ],
      [
        'a pandas escape hatch',
        'import pandas as pd\n\ndef transform(df):\n    return pd.compat.os\n',
        /'compat' is not allowed/,
      ],
      [
        'a fork bomb',
        'import os\n\ndef transform(df):\n    while True:\n        os.fork()\n',
        /import of 'os' is not allowed/,
      ],
    ])('%s', async (_name, code, detail) => {
      const res = await submit(t, session, code).expect(400);
      expect(res.body.detail).toMatch(detail);
    });

    it('lists every violation', async () => {
      const res = await submit(
        t,
        session,
        'import os\nimport socket\ndef transform(df):\n    return open("x")\n',
      ).expect(400);
      expect(res.body.detail).toMatch(/'os'.*'socket'.*'open' is not allowed/s);
    });
  });

  describe('code that fails at run time ends in error with a message about the code', () => {
    it.each([
      [
        'a list',
        'def transform(df):\n    return [1, 2]\n',
        'transform returned a list, not a DataFrame',
      ],
      ['None', 'def transform(df):\n    df["x"] = 1\n', 'transform returned None, not a DataFrame'],
      [
        'a Series',
        'def transform(df):\n    return df["amount"]\n',
        'transform returned a Series, not a DataFrame',
      ],
    ])('a transform returning %s', async (_name, code, message) => {
      const job = await run(t, session, code);
      expect(job).toMatchObject({ status: 'error', error_message: message, preview_rows: [] });
    });

    it('an exception names the exception and the line in the user module, not the runner', async () => {
      const code =
        'import pandas as pd\n\ndef transform(df):\n    total = df["amount"].sum()\n    return df["no_such_column"] / total\n';
      const job = await run(t, session, code);
      expect(job.status).toBe('error');
      expect(job.error_message).toMatch(
        /^KeyError: 'no_such_column' \(line 5 in transform: return df\["no_such_column"\] \/ total\)$/,
      );
      expect(job.error_message).not.toMatch(/runner|\.py/);
    });

    it('an exception in a helper names the helper line', async () => {
      const job = await run(
        t,
        session,
        'def helper(x):\n    return 1 / x\n\ndef transform(df):\n    return helper(0)\n',
      );
      expect(job.error_message).toBe(
        'ZeroDivisionError: division by zero (line 2 in helper: return 1 / x)',
      );
    });

    it('a long exception message is cut at ERROR_MESSAGE_MAX_CHARS, one cap on both sides of the sandbox', async () => {
      const job = await run(t, session, 'def transform(df):\n    raise ValueError("x" * 10000)\n');
      expect(job.status).toBe('error');
      expect(job.error_message).toBe(`ValueError: ${'x'.repeat(ERROR_MESSAGE_MAX_CHARS - 12)}`);
    });

    it('an infinite loop is killed at the timeout', async () => {
      const job = await run(t, session, 'def transform(df):\n    while True:\n        pass\n');
      expect(job).toMatchObject({
        status: 'error',
        error_message: `timed out after ${TIMEOUT_SECONDS} s`,
      });
    });

    it('a memory bomb is stopped by the memory limit', async () => {
      const job = await run(
        t,
        session,
        'def transform(df):\n    hog = "x" * (4 * 1024 ** 3)\n    return df\n',
      );
      expect(job).toMatchObject({
        status: 'error',
        error_message: 'used more than 512 MB of memory',
      });
    });

    it('a numpy memory bomb is stopped by the memory limit', async () => {
      const job = await run(
        t,
        session,
        'import numpy as np\n\ndef transform(df):\n    a = np.ones((1024, 1024, 1024))\n    return df\n',
      );
      expect(job.error_message).toBe('used more than 512 MB of memory');
    });

    it('a stdout flood is cut at MAX_OUTPUT_BYTES and the job killed', async () => {
      const job = await run(
        t,
        session,
        'def transform(df):\n    while True:\n        print("flood " * 100)\n',
      );
      expect(job).toMatchObject({
        status: 'error',
        error_message: 'printed more than 64 KB to stdout/stderr; that is the limit',
      });
      expect(job.stdout.length + job.stderr.length).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
      expect(job.stdout.startsWith('flood flood')).toBe(true);
    });

    it('a disk fill is refused: the code may not write files', async () => {
      const code =
        'def transform(df):\n    big = df.to_string() * 1000\n    for i in range(10000):\n        df.to_string(f"/tmp/fill{i}.txt")\n    return df\n';
      const job = await run(t, session, code);
      expect(job.status).toBe('error');
      expect(job.error_message).toMatch(
        /^PermissionError: writing files is not allowed in the sandbox \(line 4 in transform/,
      );
    });

    it('output over SANDBOX_MAX_OUTPUT_ROWS is refused with both numbers', async () => {
      const job = await run(
        t,
        session,
        'import pandas as pd\n\ndef transform(df):\n    return pd.DataFrame({"x": range(2000)})\n',
      );
      expect(job).toMatchObject({
        status: 'error',
        error_message: 'output has 2,000 rows; the limit is 1,000',
      });
    });

    it('a job in error has no output to download', async () => {
      const job = await run(t, session, 'def transform(df):\n    raise ValueError("nope")\n');
      expect(job.error_message).toBe(
        'ValueError: nope (line 2 in transform: raise ValueError("nope"))',
      );
      const res = await output(job.job_id).expect(404);
      expect(JSON.parse((res.body as Buffer).toString()).detail).toMatch(
        /has no output: its status is 'error'/,
      );
    });

    it('the server stays healthy after all of the above', async () => {
      const res = await request(t.http).get('/health').expect(200);
      expect(res.body.sandbox).toMatchObject({
        isolation: 'bwrap',
        python: expect.stringMatching(/^3\./),
        pandas: '1.5.3',
      });
      const again = await run(t, session, GROUP_BY);
      expect(again.preview_rows).toEqual(EXPECTED_GROUPS);
    });
  });

  describe('contract errors', () => {
    const unknown = '00000000-0000-4000-8000-000000000000';

    it('404 for an unknown session on every execution endpoint', async () => {
      expect((await submit(t, unknown, GROUP_BY).expect(404)).body.detail).toBe(
        `Session '${unknown}' not found`,
      );
      await request(t.http).get(`${t.prefix}/execute/${unknown}/${unknown}`).expect(404);
      await request(t.http).get(`${t.prefix}/execute/${unknown}/${unknown}/output`).expect(404);
    });

    it('404 for an unknown job', async () => {
      const res = await request(t.http)
        .get(`${t.prefix}/execute/${session}/${unknown}`)
        .expect(404);
      expect(res.body.detail).toBe(`Job '${unknown}' not found`);
      await request(t.http)
        .get(`${t.prefix}/execute/${session}/${unknown}/output?format=csv`)
        .expect(404);
    });

    it('422 for a body that breaks the DTO', async () => {
      const res = await request(t.http)
        .post(`${t.prefix}/execute`)
        .send({ session_id: session, code: 'short' })
        .expect(422);
      expect(res.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'code'] })]);
      await request(t.http).post(`${t.prefix}/execute`).send({ code: GROUP_BY }).expect(422);
    });
  });

  describe('the queue', () => {
    it('runs a burst of jobs, all to success, each with its own result', async () => {
      const ids = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const res = await submit(
            t,
            session,
            `import pandas as pd\n\ndef transform(df):\n    return pd.DataFrame({"k": [${i}]})\n`,
          ).expect(200);
          return res.body.job_id as string;
        }),
      );
      const results = await Promise.all(ids.map((id) => waitForJob(t, session, id)));
      expect(results.map((r) => r.preview_rows)).toEqual([0, 1, 2, 3, 4, 5].map((k) => [{ k }]));
    });
  });

  describe('primed sandboxes', () => {
    it("primes a sandbox with the session's data for the next run and drops it with the session", async () => {
      const sid = await uploadCsv(t, SALES);
      const pool = t.app.get(SandboxPool);
      expect(pool.primedFor(sid)).toBeNull();
      await run(t, sid, GROUP_BY);
      await until(() => pool.primedFor(sid)?.ready === true);
      const primedPid = pool.primedFor(sid)!.pid!;
      const second = await run(t, sid, GROUP_BY);
      expect(second.preview_rows).toEqual(EXPECTED_GROUPS);
      // The primed sandbox ran that job and exited (one job per sandbox).
      expect(() => process.kill(primedPid, 0)).toThrow();
      await until(() => pool.primedFor(sid)?.ready === true);
      const next = pool.primedFor(sid)!.pid!;
      await request(t.http).delete(`${t.prefix}/sessions/${sid}`).expect(204);
      expect(pool.primedFor(sid)).toBeNull();
      await until(() => {
        try {
          process.kill(next, 0);
          return false;
        } catch {
          return true;
        }
      });
    });
  });

  describe('session end', () => {
    it('deleting the session cancels its running job and kills its sandbox', async () => {
      const sid = await uploadCsv(t, SALES);
      const pool = t.app.get(SandboxPool);
      const res = await submit(
        t,
        sid,
        'def transform(df):\n    while True:\n        pass\n',
      ).expect(200);
      await until(() => pool.busyCount === 1);
      expect((await jobResult(t, sid, res.body.job_id)).status).toBe('running');
      await request(t.http).delete(`${t.prefix}/sessions/${sid}`).expect(204);
      expect(pool.busyCount).toBe(0);
      await request(t.http).get(`${t.prefix}/execute/${sid}/${res.body.job_id}`).expect(404);
    });
  });
});

describe('Execution: shutdown leaves nothing behind', () => {
  it('kills running sandboxes and removes the sandbox folders on close', async () => {
    const t = await startTestApp({ SANDBOX_TIMEOUT_SECONDS: '30', SANDBOX_POOL_SIZE: '1' });
    let pids: number[] = [];
    let base = '';
    try {
      const sid = await uploadCsv(t, SALES);
      await submit(t, sid, 'def transform(df):\n    while True:\n        pass\n').expect(200);
      const pool = t.app.get(SandboxPool);
      // One sandbox busy with the job, one warm in the pool.
      await until(() => pool.busyCount === 1 && pool.idleCount === 1);
      const outer = pool.pids();
      expect(outer).toHaveLength(2);
      // The processes bubblewrap forked must go too, reaped rather than left as zombies.
      pids = [...outer, ...outer.flatMap(childrenOf)];
      expect(pids.length).toBeGreaterThan(outer.length);
      base = t.app.get(SandboxWorkspace).baseDir;
      expect(existsSync(base)).toBe(true);
    } finally {
      await t.close();
    }
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(existsSync(base)).toBe(false);
  });
});
