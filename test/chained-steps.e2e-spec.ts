import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { joinedChunks, postSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { JobResult, waitForJob } from './support/execution-client';
import { FakeAnthropic, textReply } from './support/fake-anthropic';
import { TestApp, uploadCsv } from './support/test-app';

const CSV = [
  'order_id,region,qty,price',
  '1,north,2,10.0',
  '2,south,1,5.5',
  '3,north,4,2.5',
  '4,east,3,1.0',
  '5,south,5,2.0',
].join('\n');

const FILTER = `import pandas as pd

def transform(df):
    return df[df["qty"] > 1].reset_index(drop=True)
`;
const GROUP = `import pandas as pd

def transform(df):
    return df.groupby("region", as_index=False)["qty"].sum().sort_values("region")
`;
const RENAME = `import pandas as pd

def transform(df):
    return df.rename(columns={"qty": "total_qty"}).reset_index(drop=True)
`;
const FAILING = `import pandas as pd

def transform(df):
    raise ValueError("no")
`;

/** An output of the dtypes a next step must see again; prints them and the values. */
const TYPED = `import pandas as pd

def transform(df):
    out = pd.DataFrame({"order_id": df["order_id"]})
    out["when"] = pd.to_datetime(["2024-01-01 10:00:00.123456789", "2024-02-29", None, "1969-07-20 20:17:40", "2024-03-01"])
    out["when_tz"] = pd.to_datetime(["2024-01-01 10:00:00.123456", "2024-06-01", None, "2024-10-27 02:30", "2024-03-01"]).tz_localize("Europe/Berlin", ambiguous=True)
    out["flag"] = df["qty"] > 2
    out["maybe"] = pd.array([1, None, 3, -4, 2**53 + 1], dtype="Int64")
    out["note"] = ["a", None, "ç,\\"x\\"", "", "e"]
    out["flag_obj"] = pd.Series([True, None, False, True, False], dtype=object)
    out["span"] = pd.to_timedelta(["1 days 02:00:00.5", None, "-3 hours", "0s", "10 days"])
    out["price"] = df["price"]
    out["label"] = pd.array(["x", None, "y", "z", "x"], dtype="string")
    out["ratio"] = pd.array([1.5, None, 2.0, 0.25, -1.0], dtype="Float64")
    out["small"] = df["qty"].astype("int32")
    print(out.dtypes.astype(str).to_dict())
    print(out.astype(str).values.tolist())
    return out
`;
const ECHO = `import pandas as pd

def transform(df):
    print(df.dtypes.astype(str).to_dict())
    print(df.astype(str).values.tolist())
    return df
`;

async function submitOn(
  t: TestApp,
  sessionId: string,
  code: string,
  sourceJobId?: string | null,
): Promise<request.Response> {
  return request(t.http)
    .post(`${t.prefix}/execute`)
    .send({ session_id: sessionId, code, source_job_id: sourceJobId });
}

async function runOn(
  t: TestApp,
  sessionId: string,
  code: string,
  sourceJobId?: string,
): Promise<JobResult & { source_job_id: string | null }> {
  const res = await submitOn(t, sessionId, code, sourceJobId);
  expect({ status: res.status, detail: res.body.detail as unknown }).toEqual({
    status: 200,
    detail: undefined,
  });
  return (await waitForJob(t, sessionId, res.body.job_id as string)) as JobResult & {
    source_job_id: string | null;
  };
}

async function csvOf(t: TestApp, sessionId: string, jobId: string): Promise<string> {
  const res = await request(t.http)
    .get(`${t.prefix}/execute/${sessionId}/${jobId}/output?format=csv`)
    .buffer(true)
    .parse((r, done) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => done(null, text));
    })
    .expect(200);
  return res.body as string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

describe('chained steps: source_job_id runs a step on an earlier job output', () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp(CSV));
  });
  afterAll(async () => stopAiTestApp({ fake, t }));

  it('runs filter, then group-by on its output, then rename; each download is right', async () => {
    const filtered = await runOn(t, sessionId, FILTER);
    expect(filtered.error_message).toBeNull();
    expect(filtered.source_job_id).toBeNull();
    expect(await csvOf(t, sessionId, filtered.job_id)).toBe(
      'order_id,region,qty,price\n1,north,2,10.0\n3,north,4,2.5\n4,east,3,1.0\n5,south,5,2.0\n',
    );

    const grouped = await runOn(t, sessionId, GROUP, filtered.job_id);
    expect(grouped.error_message).toBeNull();
    expect(grouped.source_job_id).toBe(filtered.job_id);
    expect(await csvOf(t, sessionId, grouped.job_id)).toBe(
      'region,qty\neast,3\nnorth,6\nsouth,5\n',
    );

    const renamed = await runOn(t, sessionId, RENAME, grouped.job_id);
    expect(renamed.error_message).toBeNull();
    expect(renamed.source_job_id).toBe(grouped.job_id);
    expect(renamed.preview_columns).toEqual(['region', 'total_qty']);
    expect(await csvOf(t, sessionId, renamed.job_id)).toBe(
      'region,total_qty\neast,3\nnorth,6\nsouth,5\n',
    );

    const session = await request(t.http).get(`${t.prefix}/sessions/${sessionId}`).expect(200);
    const sources = Object.fromEntries(
      (session.body.jobs as { job_id: string; source_job_id: string | null }[]).map((j) => [
        j.job_id,
        j.source_job_id,
      ]),
    );
    expect(sources[filtered.job_id]).toBeNull();
    expect(sources[grouped.job_id]).toBe(filtered.job_id);
    expect(sources[renamed.job_id]).toBe(grouped.job_id);
  });

  it('keeps each step on its own data when steps alternate (a sandbox kept ready per source)', async () => {
    const filtered = await runOn(t, sessionId, FILTER);
    const COUNT = 'def transform(df):\n    return df.assign(n=len(df))[["n"]].head(1)\n';
    // Each run leaves a sandbox primed with its input (given time to read it); the next
    // job must not take one primed with another source's.
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1000));
    for (let round = 0; round < 2; round++) {
      const onUpload = await runOn(t, sessionId, COUNT);
      expect(onUpload.preview_rows).toEqual([{ n: 5 }]);
      await settle();
      const onOutput = await runOn(t, sessionId, COUNT, filtered.job_id);
      expect(onOutput.preview_rows).toEqual([{ n: 4 }]);
      await settle();
    }
  });

  it("gives the next step's df the dtypes and values the output had", async () => {
    const typed = await runOn(t, sessionId, TYPED);
    expect(typed.error_message).toBeNull();
    const echoed = await runOn(t, sessionId, ECHO, typed.job_id);
    expect(echoed.error_message).toBeNull();
    const [dtypes] = typed.stdout.split('\n');
    expect(dtypes).toContain("'when': 'datetime64[ns]'");
    expect(dtypes).toContain("'when_tz': 'datetime64[ns, Europe/Berlin]'");
    expect(dtypes).toContain("'maybe': 'Int64'");
    expect(dtypes).toContain("'flag': 'bool'");
    expect(dtypes).toContain("'note': 'object'");
    // int32 and Float64 come back as the nearest dtype the input frame rebuilds.
    const expected = dtypes
      .replace("'small': 'int32'", "'small': 'int64'")
      .replace("'ratio': 'Float64'", "'ratio': 'float64'");
    const [nextDtypes] = echoed.stdout.split('\n');
    expect(nextDtypes).toBe(expected);
    // Same values; a missing value of an object column comes back as NaN, as pandas reads
    // one from a file, and Float64's (<NA>, the second row's next-to-last) as float64's NaN.
    const values = typed.stdout
      .slice(dtypes.length)
      .replace(/'None'/g, "'nan'")
      .replace("'<NA>', '1']", "'nan', '1']");
    expect(echoed.stdout.slice(nextDtypes.length)).toBe(values);
    // The chained step's output downloads as the first one's.
    expect(await csvOf(t, sessionId, echoed.job_id)).toBe(await csvOf(t, sessionId, typed.job_id));
  });

  it('answers 404 for a source job that failed, is unknown, or is of another session', async () => {
    const failed = await runOn(t, sessionId, FAILING);
    expect(failed.status).toBe('error');
    const other = await uploadCsv(t, CSV);
    const othersJob = await runOn(t, other, FILTER);
    expect(othersJob.status).toBe('success');
    const cases: [string, RegExp][] = [
      [failed.job_id, /has no output: its status is 'error'/],
      ['00000000-0000-4000-8000-000000000000', /not found/],
      [othersJob.job_id, /not found/],
    ];
    for (const [source, detail] of cases) {
      const res = await submitOn(t, sessionId, FILTER, source);
      expect(res.status).toBe(404);
      expect(res.body.detail).toMatch(detail);
    }
    // Nothing was queued for them.
    const session = await request(t.http).get(`${t.prefix}/sessions/${sessionId}`).expect(200);
    expect(
      (session.body.jobs as { source_job_id: string | null }[]).filter((j) =>
        cases.some(([source]) => j.source_job_id === source),
      ),
    ).toEqual([]);
  });

  describe('the AI steps on a job output', () => {
    let grouped: string;
    const SPEC =
      '## Objective\nRename the summed quantity column total_qty to units, keep the region column.\n';

    beforeAll(async () => {
      const filtered = await runOn(t, sessionId, FILTER);
      grouped = (
        await runOn(
          t,
          sessionId,
          GROUP.replace('.sort_values("region")', '.rename(columns={"qty": "total_qty"})'),
          filtered.job_id,
        )
      ).job_id;
    });

    /** The data part of the last prompt the fake model got: its first user text block. */
    const lastPrompt = (): string => {
      const body = fake.requests.at(-1)?.body as {
        messages: { content: string | { text: string }[] }[];
      };
      const content = body.messages[0].content;
      return typeof content === 'string' ? content : content[0].text;
    };

    it("generate and fix describe the output's columns, rows and values, not the upload's", async () => {
      fake.enqueue(textReply(['```python\n', RENAME, '```\n']));
      const generated = await postSse(t, '/codegen/generate', {
        session_id: sessionId,
        refined_prompt: SPEC,
        source_job_id: grouped,
      });
      expect(generated.status).toBe(200);
      expect(joinedChunks(generated.events)).toContain('def transform');
      const prompt = lastPrompt();
      expect(prompt).toContain('has 3 rows and 2 columns');
      expect(prompt).toContain('"total_qty": int64; nulls 0');
      expect(prompt).toContain('["north",6]');
      expect(prompt).not.toContain('order_id');

      fake.enqueue(textReply(['```python\n', RENAME, '```\n']));
      const fixed = await postSse(t, '/codegen/fix', {
        session_id: sessionId,
        broken_code: RENAME,
        error_message: "KeyError: 'qty'",
        source_job_id: grouped,
      });
      expect(fixed.status).toBe(200);
      expect(lastPrompt()).toContain('total_qty');
      expect(lastPrompt()).not.toContain('order_id');

      // Without source_job_id the prompt still describes the upload.
      fake.enqueue(textReply(['```python\n', RENAME, '```\n']));
      await postSse(t, '/codegen/generate', { session_id: sessionId, refined_prompt: SPEC });
      expect(lastPrompt()).toContain('order_id');
      expect(lastPrompt()).not.toContain('total_qty');
    });

    it("refine lists the output's columns", async () => {
      fake.enqueue(textReply([SPEC]));
      const refined = await postSse(t, '/instructions/refine', {
        session_id: sessionId,
        raw_instructions: 'call the total units please',
        source_job_id: grouped,
      });
      expect(refined.status).toBe(200);
      expect(lastPrompt()).toContain('total_qty');
      expect(lastPrompt()).not.toContain('order_id');
    });

    it('answers 404 before any stream byte for a bad source_job_id on every AI step', async () => {
      const failed = (await runOn(t, sessionId, FAILING)).job_id;
      const other = await uploadCsv(t, CSV);
      const othersJob = (await runOn(t, other, FILTER)).job_id;
      const bodies: [string, Record<string, unknown>][] = [
        ['/codegen/generate', { refined_prompt: SPEC }],
        ['/codegen/fix', { broken_code: RENAME, error_message: 'KeyError' }],
        ['/codegen/auto', { refined_prompt: SPEC }],
        ['/instructions/refine', { raw_instructions: 'call the total units please' }],
      ];
      const asked = fake.requests.length;
      for (const [path, body] of bodies) {
        for (const source of [failed, othersJob, '00000000-0000-4000-8000-000000000000']) {
          const res = await postSse(t, path, {
            ...body,
            session_id: sessionId,
            source_job_id: source,
          });
          expect({ path, status: res.status }).toEqual({ path, status: 404 });
          expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
          expect((JSON.parse(res.raw) as { detail: string }).detail).toMatch(
            /not found|has no output/,
          );
        }
      }
      expect(fake.requests.length).toBe(asked);
    });

    it('auto mode generates on the output and runs its job on it', async () => {
      fake.enqueue(
        textReply([
          '```python\n',
          RENAME.replace('"qty": "total_qty"', '"total_qty": "units"'),
          '```\n',
        ]),
      );
      const auto = await postSse(t, '/codegen/auto', {
        session_id: sessionId,
        refined_prompt: SPEC,
        source_job_id: grouped,
      });
      expect(auto.status).toBe(200);
      const last = auto.events.at(-1) as { status: string; job_id: string };
      expect(last.status).toBe('success');
      expect(lastPrompt()).toContain('total_qty');
      const job = (
        await request(t.http).get(`${t.prefix}/execute/${sessionId}/${last.job_id}`).expect(200)
      ).body as { source_job_id: string; preview_columns: string[] };
      expect(job.source_job_id).toBe(grouped);
      expect(job.preview_columns).toEqual(['region', 'units']);
      expect(await csvOf(t, sessionId, last.job_id)).toBe(
        'region,units\neast,3\nnorth,6\nsouth,5\n',
      );
    });
  });

  it('ends the whole chain with its session', async () => {
    const own = await uploadCsv(t, CSV);
    const first = await runOn(t, own, FILTER);
    const second = await runOn(t, own, GROUP, first.job_id);
    const third = await runOn(t, own, RENAME, second.job_id);
    expect(third.status).toBe('success');
    const chainInputs = (): string[] =>
      filesUnder(t.root).filter((f) => f.includes(own) && /sandbox-input-.*\.bin$/.test(f));
    expect(chainInputs()).toHaveLength(2);

    await request(t.http).delete(`${t.prefix}/sessions/${own}`).expect(204);
    for (const job of [first, second, third])
      await request(t.http).get(`${t.prefix}/execute/${own}/${job.job_id}`).expect(404);
    expect(filesUnder(t.root).filter((f) => f.includes(own))).toEqual([]);
  });
});
