import request from 'supertest';
import { JobResult, waitForJob } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const CSV = [
  'order_id,region,qty,price',
  '1,north,2,10.0',
  '2,south,1,5.5',
  '3,north,4,2.5',
  '4,east,3,1.0',
  '5,south,5,2.0',
].join('\n');
/** The same columns (and one more), qty now float64. */
const CSV_FLOAT_QTY = 'order_id,region,qty,price,note\n1,north,2.5,1.0,a\n2,east,0.5,2.0,b\n';
const CSV_NO_PRICE = 'order_id,region,qty\n1,north,2\n';
const CSV_NEGATIVE = 'order_id,region,qty,price\n1,north,-2,1.0\n2,east,3,2.0\n';

const FILTER = `import pandas as pd

def transform(df):
    return df[df["qty"] > 1].reset_index(drop=True)
`;
const GROUP = `import pandas as pd

def transform(df):
    return df.groupby("region", as_index=False)["qty"].sum().sort_values("region")
`;
const NO_NEGATIVES = `import pandas as pd

def transform(df):
    if (df["qty"] < 0).any():
        raise ValueError("negative qty")
    return df
`;
const RENAME = `import pandas as pd

def transform(df):
    return df.rename(columns={"qty": "total_qty"})
`;
const FAILING = `import pandas as pd

def transform(df):
    raise ValueError("no")
`;
const SLOW = 'def transform(df):\n    while True:\n        pass\n';

interface RecipeBody {
  recipe_id: string;
  name: string;
  description: string | null;
  code: string;
  steps: string[];
  input_columns: string[];
  input_dtypes: string[];
  created_at: string;
}

interface Applied {
  job_id: string;
  job_ids: string[];
  warnings: string[];
}

describe('recipes: save a job chain, apply it to other uploads, keep it across restarts', () => {
  const env = { SANDBOX_MAX_CONCURRENCY: '1', SANDBOX_TIMEOUT_SECONDS: '120' };
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function execute(session: string, code: string, source?: string): Promise<JobResult> {
    const res = await request(t.http)
      .post(`${t.prefix}/execute`)
      .send({ session_id: session, code, source_job_id: source })
      .expect(200);
    return waitForJob(t, session, res.body.job_id as string);
  }

  async function save(session: string, job: string, name: string): Promise<RecipeBody> {
    const res = await request(t.http)
      .post(`${t.prefix}/recipes`)
      .send({ session_id: session, job_id: job, name, description: `about ${name}` })
      .expect(201);
    return res.body as RecipeBody;
  }

  async function apply(recipe: string, session: string): Promise<Applied> {
    const res = await request(t.http)
      .post(`${t.prefix}/recipes/${recipe}/apply`)
      .send({ session_id: session })
      .expect(200);
    return res.body as Applied;
  }

  async function csvOf(session: string, job: string): Promise<string> {
    const res = await request(t.http)
      .get(`${t.prefix}/execute/${session}/${job}/output?format=csv`)
      .expect(200);
    return res.text;
  }

  async function jobsOf(session: string): Promise<{ job_id: string; source_job_id: string }[]> {
    const res = await request(t.http).get(`${t.prefix}/sessions/${session}`).expect(200);
    return res.body.jobs as { job_id: string; source_job_id: string }[];
  }

  let original: string;
  let originalChainCsv: string;
  let oneStep: RecipeBody;
  let chain: RecipeBody;

  it("saves a one-step job and a two-step chain (steps in order, the upload's columns)", async () => {
    original = await uploadCsv(t, CSV);
    const filtered = await execute(original, FILTER);
    expect(filtered.status).toBe('success');
    oneStep = await save(original, filtered.job_id, 'big orders');
    expect(oneStep).toMatchObject({
      name: 'big orders',
      description: 'about big orders',
      code: FILTER,
      steps: [FILTER],
      input_columns: ['order_id', 'region', 'qty', 'price'],
      input_dtypes: ['int64', 'object', 'int64', 'float64'],
    });
    expect(Number.isNaN(Date.parse(oneStep.created_at))).toBe(false);

    const grouped = await execute(original, GROUP, filtered.job_id);
    expect(grouped.status).toBe('success');
    originalChainCsv = await csvOf(original, grouped.job_id);
    expect(originalChainCsv).toContain('north,6');
    chain = await save(original, grouped.job_id, 'qty by region');
    expect(chain.steps).toEqual([FILTER, GROUP]);
    expect(chain.code).toBe(GROUP);
    expect(chain.input_columns).toEqual(['order_id', 'region', 'qty', 'price']);
  });

  it('lists recipes newest first and gets one by id', async () => {
    const list = (await request(t.http).get(`${t.prefix}/recipes`).expect(200)).body as {
      recipes: RecipeBody[];
    };
    expect(list.recipes.map((r) => r.recipe_id)).toEqual([chain.recipe_id, oneStep.recipe_id]);
    const got = await request(t.http).get(`${t.prefix}/recipes/${chain.recipe_id}`).expect(200);
    expect(got.body).toEqual(chain);
  });

  it('applies a chain to a second upload: later steps read queued while they wait, same download', async () => {
    // Hold the only sandbox so the chain's first step waits.
    const blocker = await uploadCsv(t, 'a\n1\n');
    const slow = await request(t.http)
      .post(`${t.prefix}/execute`)
      .send({ session_id: blocker, code: SLOW })
      .expect(200);
    for (;;) {
      const job = await request(t.http).get(`${t.prefix}/execute/${blocker}/${slow.body.job_id}`);
      if (job.body.status === 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const second = await uploadCsv(t, CSV, 'second.csv');
    const applied = await apply(chain.recipe_id, second);
    expect(applied.job_ids).toHaveLength(2);
    expect(applied.job_id).toBe(applied.job_ids[1]);
    expect(applied.warnings).toEqual([]);
    const waiting = await request(t.http)
      .get(`${t.prefix}/execute/${second}/${applied.job_ids[1]}`)
      .expect(200);
    expect(waiting.body.status).toBe('queued');
    expect((await jobsOf(second)).map((j) => [j.job_id, j.source_job_id])).toEqual([
      [applied.job_ids[0], null],
      [applied.job_ids[1], applied.job_ids[0]],
    ]);
    await request(t.http).delete(`${t.prefix}/sessions/${blocker}`).expect(204);

    expect((await waitForJob(t, second, applied.job_ids[0])).status).toBe('success');
    expect((await waitForJob(t, second, applied.job_id)).status).toBe('success');
    expect(await csvOf(second, applied.job_id)).toBe(originalChainCsv);
  });

  it('refuses with 409 and runs nothing when the data lacks a column', async () => {
    const session = await uploadCsv(t, CSV_NO_PRICE);
    const res = await request(t.http)
      .post(`${t.prefix}/recipes/${chain.recipe_id}/apply`)
      .send({ session_id: session })
      .expect(409);
    expect(res.body.missing_columns).toEqual(['price']);
    expect(res.body.type_changes).toEqual({});
    expect(res.body.detail).toContain("'price'");
    expect(await jobsOf(session)).toEqual([]);
  });

  it('names each column whose dtype changed, in the warnings and in a 409', async () => {
    const session = await uploadCsv(t, CSV_FLOAT_QTY);
    const applied = await apply(oneStep.recipe_id, session);
    expect(applied.warnings).toHaveLength(1);
    expect(applied.warnings[0]).toContain("'qty'");
    expect(applied.warnings[0]).toContain('float64');
    expect(applied.warnings[0]).toContain('int64');
    const done = await waitForJob(t, session, applied.job_id);
    expect(done.status).toBe('success');
    expect(done.output_row_count).toBe(1);

    const lacking = await uploadCsv(t, 'order_id,region,qty\n1,a,0.5\n');
    const res = await request(t.http)
      .post(`${t.prefix}/recipes/${oneStep.recipe_id}/apply`)
      .send({ session_id: lacking })
      .expect(409);
    expect(res.body.missing_columns).toEqual(['price']);
    expect(res.body.type_changes).toEqual({ qty: { was: 'int64', now: 'float64' } });
  });

  it('ends the steps after a failed step in error, saying so', async () => {
    const first = await execute(original, NO_NEGATIVES);
    const second = await execute(original, RENAME, first.job_id);
    expect(second.status).toBe('success');
    const guarded = await save(original, second.job_id, 'guarded rename');
    expect(guarded.steps).toEqual([NO_NEGATIVES, RENAME]);

    const session = await uploadCsv(t, CSV_NEGATIVE);
    const applied = await apply(guarded.recipe_id, session);
    expect((await waitForJob(t, session, applied.job_ids[0])).error_message).toContain(
      'negative qty',
    );
    const last = await waitForJob(t, session, applied.job_id);
    expect(last.status).toBe('error');
    expect(last.error_message).toContain('step 1 of the recipe ended in error');
    await request(t.http).delete(`${t.prefix}/recipes/${guarded.recipe_id}`).expect(204);
  });

  it('refuses to save an error job (409), an unknown job or session (404), a bad body (422)', async () => {
    const failed = await execute(original, FAILING);
    expect(failed.status).toBe('error');
    const conflict = await request(t.http)
      .post(`${t.prefix}/recipes`)
      .send({ session_id: original, job_id: failed.job_id, name: 'broken' })
      .expect(409);
    expect(conflict.body.detail).toContain("'error'");
    await request(t.http)
      .post(`${t.prefix}/recipes`)
      .send({ session_id: original, job_id: 'nope', name: 'x' })
      .expect(404);
    await request(t.http)
      .post(`${t.prefix}/recipes`)
      .send({ session_id: 'nope', job_id: failed.job_id, name: 'x' })
      .expect(404);
    await request(t.http)
      .post(`${t.prefix}/recipes`)
      .send({ session_id: original, job_id: failed.job_id, name: '' })
      .expect(422);
    await request(t.http)
      .post(`${t.prefix}/recipes`)
      .send({
        session_id: original,
        job_id: failed.job_id,
        name: 'x',
        description: 'd'.repeat(2001),
      })
      .expect(422);
    await request(t.http)
      .post(`${t.prefix}/recipes/${chain.recipe_id}/apply`)
      .send({ session_id: 'nope' })
      .expect(404);
  });

  it('deletes a recipe: then 404 for get, delete and apply', async () => {
    await request(t.http).delete(`${t.prefix}/recipes/${oneStep.recipe_id}`).expect(204);
    const gone = await request(t.http).get(`${t.prefix}/recipes/${oneStep.recipe_id}`).expect(404);
    expect(gone.body.detail).toContain(oneStep.recipe_id);
    await request(t.http).delete(`${t.prefix}/recipes/${oneStep.recipe_id}`).expect(404);
    await request(t.http)
      .post(`${t.prefix}/recipes/${oneStep.recipe_id}/apply`)
      .send({ session_id: original })
      .expect(404);
    const list = (await request(t.http).get(`${t.prefix}/recipes`).expect(200)).body as {
      recipes: RecipeBody[];
    };
    expect(list.recipes.map((r) => r.recipe_id)).toEqual([chain.recipe_id]);
  });

  it('keeps recipes across a restart and applies them again', async () => {
    await t.stop();
    t = await startTestApp(env, undefined, { root: t.root });
    const list = (await request(t.http).get(`${t.prefix}/recipes`).expect(200)).body as {
      recipes: RecipeBody[];
    };
    expect(list.recipes).toEqual([chain]);
    const third = await uploadCsv(t, CSV, 'third.csv');
    const applied = await apply(chain.recipe_id, third);
    expect((await waitForJob(t, third, applied.job_id)).status).toBe('success');
    expect(await csvOf(third, applied.job_id)).toBe(originalChainCsv);
  });
});
