import request from 'supertest';
import { joinedChunks, postSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { waitForJob } from './support/execution-client';
import { FakeAnthropic, textReply } from './support/fake-anthropic';
import { TestApp } from './support/test-app';

const CSV = [
  'order_id,region,qty,price',
  '1,north,2,10.0',
  '2,south,1,5.5',
  '3,north,4,2.5',
  '4,east,3,1.0',
].join('\n');

const SPEC =
  '## Objective\nTotal revenue per region.\n## Transformation steps\n1. revenue = qty * price\n' +
  '2. Sum revenue per region, largest first.\n';

/** What a model typically sends: prose, then a fenced module split across deltas. */
const GENERATED = [
  'Here is the module:\n``',
  '`python\nimport pandas as pd\n\n\ndef transform(df: pd.DataFrame) -> pd.DataFrame:\n',
  '    out = df.assign(revenue=df["qty"] * df["price"])\n',
  '    out = out.groupby("region", as_index=False)["revenue"].sum()\n',
  '    return out.sort_values("revenue", ascending=False).reset_index(drop=True)\n``',
  '`\nIt sums revenue per region.',
];

describe('the five steps end to end: upload, refine, generate, execute, download', () => {
  let fake: FakeAnthropic;
  let t: TestApp;

  let sessionId: string;

  beforeAll(async () => {
    ({ fake, t, sessionId } = await startAiTestApp(CSV));
  });
  afterAll(async () => stopAiTestApp({ fake, t }));

  it('turns instructions into a downloaded result', async () => {
    fake.enqueue(textReply([SPEC.slice(0, 40), SPEC.slice(40)]));
    const refined = await postSse(t, '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: 'revenue per region please, biggest first',
    });
    expect(refined.status).toBe(200);
    expect(joinedChunks(refined.events)).toBe(SPEC);

    fake.enqueue(textReply(GENERATED));
    const generated = await postSse(t, '/codegen/generate', {
      session_id: sessionId,
      refined_prompt: joinedChunks(refined.events),
    });
    const code = joinedChunks(generated.events);
    expect(code).toMatch(/^import pandas as pd/);
    expect(code).not.toMatch(/```|Here is|It sums/);

    const submitted = await request(t.http)
      .post(`${t.prefix}/execute`)
      .send({ session_id: sessionId, code })
      .expect(200);
    const job = await waitForJob(t, sessionId, submitted.body.job_id as string);
    expect(job.error_message).toBeNull();
    expect(job.status).toBe('success');
    expect(job.preview_columns).toEqual(['region', 'revenue']);
    expect(job.preview_rows).toEqual([
      { region: 'north', revenue: 30 },
      { region: 'south', revenue: 5.5 },
      { region: 'east', revenue: 3 },
    ]);

    const csv = await request(t.http)
      .get(`${t.prefix}/execute/${sessionId}/${job.job_id}/output`)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => done(null, text));
      })
      .expect(200);
    expect(csv.headers['content-disposition']).toBe(
      `attachment; filename="output_${job.job_id.slice(0, 8)}.csv"`,
    );
    expect((csv.body as string).trim().split(/\r?\n/)).toEqual([
      'region,revenue',
      'north,30.0',
      'south,5.5',
      'east,3.0',
    ]);

    const session = await request(t.http).get(`${t.prefix}/sessions/${sessionId}`).expect(200);
    expect(session.body.jobs).toEqual([
      expect.objectContaining({ job_id: job.job_id, status: 'success', output_row_count: 3 }),
    ]);
  });
});
