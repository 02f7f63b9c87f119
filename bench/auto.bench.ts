/**
 * Auto mode's own cost: POST /codegen/auto against the same steps driven by hand by a
 * client (generate, execute, poll; then fix, execute, poll), on a built server with the
 * fake model answering at once. Scenarios of one attempt (success) and two (a runtime
 * error, then the fix succeeds); runs of the two ways alternate, spaced so the sandbox
 * pool has refilled. Goal: auto mode adds at most 20 ms per attempt (median).
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { FakeAnthropic, textReply } from '../test/support/fake-anthropic';
import { median, percentile, startServer } from './support/server';

const API_KEY = 'sk-ant-bench-0000000000000000';
const RUNS = 12;
const WARMUP_RUNS = 2;
/** Pause between runs: the sandbox pool refills after a job (see execution.bench.ts). */
const GAP_MS = 600;
/** The hand-driven client polls the job this often (as execution.bench.ts does). */
const POLL_MS = 2;
const GOAL_MS_PER_ATTEMPT = 20;
const SPEC =
  '## Objective\nTotal amount per region.\n## Transformation steps\n1. Group by region and sum amount.';

const GOOD =
  'import pandas as pd\n\n\ndef transform(df):\n    return df.groupby("region", as_index=False)["amount"].sum()\n';
const BROKEN = 'import pandas as pd\n\n\ndef transform(df):\n    return df[df["amont"] > 0]\n';

type Json = Record<string, unknown>;

/** POSTs JSON; answers the SSE events (or the JSON body as one event) once the response ends. */
function post(url: string, body: unknown): Promise<Json[]> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (!String(res.headers['content-type']).startsWith('text/event-stream'))
          return resolve([JSON.parse(text) as Json]);
        resolve(
          text
            .split('\n\n')
            .filter((b) => b.startsWith('data: '))
            .map((b) => JSON.parse(b.slice(6)) as Json),
        );
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const codeOf = (events: Json[]): string =>
  events
    .filter((e) => typeof e.chunk === 'string')
    .map((e) => e.chunk as string)
    .join('');

export async function run(): Promise<void> {
  const fake = await FakeAnthropic.start(API_KEY);
  const server = await startServer({
    ANTHROPIC_API_KEY: API_KEY,
    ANTHROPIC_BASE_URL: fake.url,
    AI_MAX_RETRIES: '0',
  });
  const api = `${server.url}/api/v1`;
  const answer = (code: string) => textReply(code.split(/(?<=\n)/), { ping: false });

  /** The hand-driven client: each step as its own request, the job polled every POLL_MS. */
  async function byHand(sessionId: string, codes: string[]): Promise<number> {
    let code = '';
    let error = '';
    for (let i = 0; i < codes.length; i++) {
      const events =
        i === 0
          ? await post(`${api}/codegen/generate`, { session_id: sessionId, refined_prompt: SPEC })
          : await post(`${api}/codegen/fix`, {
              session_id: sessionId,
              broken_code: code,
              error_message: error,
            });
      code = codeOf(events);
      const [queued] = await post(`${api}/execute`, { session_id: sessionId, code });
      for (;;) {
        const job = (await (
          await fetch(`${api}/execute/${sessionId}/${String(queued.job_id)}`)
        ).json()) as Json;
        if (job.status === 'success') return i + 1;
        if (job.status === 'error') {
          error = String(job.error_message);
          break;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }
    return codes.length;
  }

  async function auto(sessionId: string): Promise<number> {
    const events = await post(`${api}/codegen/auto`, {
      session_id: sessionId,
      refined_prompt: SPEC,
    });
    const final = events[events.length - 1];
    if (final.status !== 'success') throw new Error(`auto mode failed: ${JSON.stringify(final)}`);
    return final.attempts as number;
  }

  try {
    const form = new FormData();
    form.append(
      'file',
      new Blob(['region,amount,id\nNorth,10.5,a1\nSouth,20,a2\nNorth,,a3\n']),
      'b.csv',
    );
    const upload = (await (
      await fetch(`${api}/upload`, { method: 'POST', body: form })
    ).json()) as Json;
    const sessionId = String(upload.session_id);

    for (const codes of [[GOOD], [BROKEN, GOOD]]) {
      const attempts = codes.length;
      const times = { hand: [] as number[], auto: [] as number[] };
      for (let r = 0; r < WARMUP_RUNS + RUNS; r++) {
        // Alternate which way goes first, so drift on the machine falls on both.
        const order: ('hand' | 'auto')[] = r % 2 === 0 ? ['hand', 'auto'] : ['auto', 'hand'];
        for (const way of order) {
          fake.reset();
          fake.enqueue(...codes.map(answer));
          await new Promise((resolve) => setTimeout(resolve, GAP_MS));
          const started = performance.now();
          const took = way === 'hand' ? await byHand(sessionId, codes) : await auto(sessionId);
          const ms = performance.now() - started;
          if (took !== attempts) throw new Error(`${way}: ${took} attempts, expected ${attempts}`);
          if (r >= WARMUP_RUNS) times[way].push(ms);
        }
      }
      const hand = median(times.hand);
      const ours = median(times.auto);
      const perAttempt = (ours - hand) / attempts;
      console.log(
        `\n${attempts} attempt${attempts === 1 ? '' : 's'} (${attempts === 1 ? 'success' : 'runtime error, then fixed'}), ${RUNS} runs each way, fake model without delay`,
      );
      console.log(
        `  by hand (generate${attempts > 1 ? '/fix' : ''}, execute, poll every ${POLL_MS} ms): ` +
          `median ${hand.toFixed(1)} ms, p90 ${percentile(times.hand, 90).toFixed(1)} ms`,
      );
      console.log(
        `  auto mode (one request):                  median ${ours.toFixed(1)} ms, ` +
          `p90 ${percentile(times.auto, 90).toFixed(1)} ms`,
      );
      console.log(
        `  added by auto mode per attempt (median difference / attempts): ${perAttempt.toFixed(1)} ms ` +
          `(goal <= ${GOAL_MS_PER_ATTEMPT} ms: ${perAttempt <= GOAL_MS_PER_ATTEMPT ? 'met' : 'NOT met'})`,
      );
    }
  } finally {
    await server.stop();
    await fake.close();
  }
}
