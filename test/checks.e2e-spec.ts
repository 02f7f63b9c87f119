import request from 'supertest';
import { ERROR_MESSAGE_MAX_CHARS } from '../src/sandbox/sandbox-limits';
import { run } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

/**
 * api.md "Checks": a module's `check(df, out)` runs in the real sandbox after `transform`,
 * through real HTTP; its verdict is `check_passed` on ExecutionResult.
 */

const TIMEOUT_SECONDS = 3;

const SALES = [
  'id,region,amount',
  '1,north,10.5',
  '2,south,3',
  '3,north,1.5',
  '4,east,7',
  '5,south,2',
  '6,north,',
  '7,west,4.25',
].join('\n');

const py = (...lines: string[]): string => `${lines.join('\n')}\n`;
/** 1-based line of the first line of `code` that contains `text`. */
const lineOf = (code: string, text: string): number => {
  const index = code.split('\n').findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`no line with ${text}`);
  return index + 1;
};

const FILTER = [
  'import pandas as pd',
  '',
  'def transform(df):',
  '    out = df[df["amount"] > 2].copy()',
  '    return out.reset_index(drop=True)',
  '',
  'def check(df, out):',
];
const FILTERED_ROWS = [
  { id: 1, region: 'north', amount: 10.5 },
  { id: 2, region: 'south', amount: 3 },
  { id: 4, region: 'east', amount: 7 },
  { id: 7, region: 'west', amount: 4.25 },
];

describe('Checks: check(df, out) after transform', () => {
  let t: TestApp;
  let session: string;

  beforeAll(async () => {
    t = await startTestApp({
      SANDBOX_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      SANDBOX_POOL_SIZE: '2',
      SANDBOX_MAX_CONCURRENCY: '2',
    });
    session = await uploadCsv(t, SALES, 'sales.csv');
  });
  afterAll(async () => t.close());

  const csv = async (jobId: string): Promise<string[]> => {
    const res = await request(t.http)
      .get(`${t.prefix}/execute/${session}/${jobId}/output`)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    return (res.body as Buffer).toString('utf8').trim().split('\n');
  };

  it('a passing check: the job succeeds with its output and check_passed true', async () => {
    const code = py(
      ...FILTER,
      '    for c in ["id", "region", "amount"]:',
      '        assert c in out.columns, f"missing column {c!r}"',
      '    assert len(out) <= len(df), "more rows than the input"',
      '    assert not out["id"].duplicated().any(), "id is not unique"',
      '    assert (out["amount"] > 2).all(), "amount has values of 2 or less"',
      '    print("check ran")',
    );
    const job = await run(t, session, code);
    expect(job).toMatchObject({
      status: 'success',
      error_message: null,
      check_passed: true,
      preview_columns: ['id', 'region', 'amount'],
      preview_rows: FILTERED_ROWS,
      output_row_count: 4,
      stdout: 'check ran\n',
    });
    expect(await csv(job.job_id)).toEqual([
      'id,region,amount',
      '1,north,10.5',
      '2,south,3.0',
      '4,east,7.0',
      '7,west,4.25',
    ]);
  });

  it("a failed assert fails the job with 'check failed: <message> (line N)' and check_passed false", async () => {
    const code = py(
      ...FILTER,
      '    assert "amount" in out.columns, "missing column amount"',
      '    assert len(out) == len(df), f"kept {len(out)} of {len(df)} rows"',
    );
    const job = await run(t, session, code);
    expect(job).toMatchObject({
      status: 'error',
      error_message: `check failed: kept 4 of 7 rows (line ${lineOf(code, 'kept {len')})`,
      check_passed: false,
      output_row_count: null,
      preview_rows: [],
    });
  });

  it('an assert without a message is named by its source line', async () => {
    const code = py(...FILTER, '    assert out["amount"].min() > 5');
    const job = await run(t, session, code);
    expect(job).toMatchObject({
      status: 'error',
      error_message: `check failed: assert out["amount"].min() > 5 (line ${lineOf(code, 'min() > 5')})`,
      check_passed: false,
    });
  });

  it('any other exception raised in check fails the job and says it was the check', async () => {
    const code = py(
      ...FILTER,
      '    assert len(out) <= len(df), "more rows than the input"',
      '    assert out["total"].notna().all(), "total is missing"',
    );
    const job = await run(t, session, code);
    expect(job).toMatchObject({
      status: 'error',
      error_message: `check failed: KeyError: 'total' (line ${lineOf(code, 'out["total"]')})`,
      check_passed: false,
    });
  });

  it('a long assert message is cut, keeping the line number', async () => {
    const code = py(...FILTER, '    assert False, "x" * 10000');
    const job = await run(t, session, code);
    expect(job.check_passed).toBe(false);
    expect(job.error_message).toHaveLength(ERROR_MESSAGE_MAX_CHARS);
    expect(job.error_message).toMatch(
      new RegExp(`^check failed: x+ \\(line ${lineOf(code, 'assert False')}\\)$`),
    );
  });

  it('a module without check behaves as today, with check_passed null', async () => {
    const job = await run(t, session, py(...FILTER.slice(0, 5)));
    expect(job).toMatchObject({
      status: 'success',
      check_passed: null,
      preview_rows: FILTERED_ROWS,
    });
  });

  it('a transform that fails before check ran leaves check_passed null', async () => {
    const code = py(
      'def transform(df):',
      '    return df["nope"]',
      '',
      'def check(df, out):',
      '    assert False, "never reached"',
    );
    const job = await run(t, session, code);
    expect(job).toMatchObject({
      status: 'error',
      error_message: 'KeyError: \'nope\' (line 2 in transform: return df["nope"])',
      check_passed: null,
    });
  });

  it('check sees the input as transform received it, and nothing it changes reaches the output', async () => {
    // transform changes its df in place and returns it; check then vandalises both frames.
    const code = py(
      'def transform(df):',
      '    df["amount"] = df["amount"] * 2',
      '    df.drop(index=[0], inplace=True)',
      '    return df',
      '',
      'def check(df, out):',
      '    assert len(df) == 7, f"check saw {len(df)} input rows"',
      '    assert df["amount"].iloc[0] == 10.5, "check saw a changed input"',
      '    assert len(out) == 6, "out is not what transform returned"',
      '    out.loc[:, "amount"] = -1.0',
      '    out["extra"] = 1',
      '    out.drop(columns=["region"], inplace=True)',
      '    out.drop(index=out.index[:3], inplace=True)',
      '    df["amount"] = 0',
    );
    const job = await run(t, session, code);
    expect(job).toMatchObject({
      status: 'success',
      check_passed: true,
      preview_columns: ['id', 'region', 'amount'],
      output_row_count: 6,
    });
    expect(job.preview_rows).toEqual([
      { id: 2, region: 'south', amount: 6 },
      { id: 3, region: 'north', amount: 3 },
      { id: 4, region: 'east', amount: 14 },
      { id: 5, region: 'south', amount: 4 },
      { id: 6, region: 'north', amount: null },
      { id: 7, region: 'west', amount: 8.5 },
    ]);
    expect(await csv(job.job_id)).toEqual([
      'id,region,amount',
      '2,south,6.0',
      '3,north,3.0',
      '4,east,14.0',
      '5,south,4.0',
      '6,north,',
      '7,west,8.5',
    ]);
  });

  it('a check that never ends is stopped by the timeout', async () => {
    const code = py(
      'def transform(df):',
      '    return df',
      '',
      'def check(df, out):',
      '    while True:',
      '        pass',
    );
    const job = await run(t, session, code);
    expect(job.status).toBe('error');
    expect(job.error_message).toMatch(new RegExp(`^timed out after ${TIMEOUT_SECONDS} s`));
    expect(job.check_passed).toBeNull();
  });
});
