/**
 * Latency of the AI streaming path against a local fake of the Messages API: the time
 * from the upstream's first text delta to the first SSE byte our client sees, and the
 * delay each chunk picks up on its way through the service (SDK, cleaner, SSE bridge),
 * compared with reading the fake directly. Goal: first byte within 20 ms of the first
 * delta, and every delta forwarded as its own event (no buffering).
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { FakeAnthropic, textReply } from '../test/support/fake-anthropic';
import { median, percentile, startServer } from './support/server';

const API_KEY = 'sk-ant-bench-0000000000000000';
const RUNS = 15;
const WARMUP_RUNS = 3;
const DELTAS = 40;
/** Gap between upstream deltas, so each one is its own write and its own event. */
const DELTA_GAP_MS = 4;
const FIRST_BYTE_GOAL_MS = 20;

interface Timed {
  /** When the first byte of the body arrived (performance.now()). */
  firstByteAt: number;
  /** Arrival time of each event, in order. */
  eventAt: number[];
  events: Record<string, unknown>[];
}

/** Streams a POST and timestamps every SSE event (ours) or Anthropic event (direct). */
function timedPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...headers,
      },
    });
    const timed: Timed = { firstByteAt: 0, eventAt: [], events: [] };
    req.on('response', (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now();
        if (!timed.firstByteAt) timed.firstByteAt = now;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          timed.eventAt.push(now);
          timed.events.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
        }
      });
      res.on('end', () => resolve(timed));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface Scenario {
  name: string;
  path: string;
  body: Record<string, unknown>;
  deltas: string[];
  /** Whether delta `i` reaches the client (the cleaner drops fence lines). */
  forwarded: (deltaIndex: number) => boolean;
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

export async function run(): Promise<void> {
  const fake = await FakeAnthropic.start(API_KEY);
  const server = await startServer({
    ANTHROPIC_API_KEY: API_KEY,
    ANTHROPIC_BASE_URL: fake.url,
    AI_MAX_RETRIES: '0',
  });
  try {
    const form = new FormData();
    form.append(
      'file',
      new Blob(['region,amount,id\nNorth,10.5,a1\nSouth,20,a2\nNorth,,a3\n']),
      'bench.csv',
    );
    const upload = (await (
      await fetch(`${server.url}/api/v1/upload`, { method: 'POST', body: form })
    ).json()) as {
      session_id: string;
    };
    const sessionId = upload.session_id;

    const words = Array.from({ length: DELTAS }, (_, i) => `word${i} `);
    const codeLines = Array.from(
      { length: DELTAS - 2 },
      (_, i) => `    x${i} = df["amount"] * ${i}\n`,
    );
    const scenarios: Scenario[] = [
      {
        name: 'refine (text passes through)',
        path: '/api/v1/instructions/refine',
        body: {
          session_id: sessionId,
          raw_instructions: 'Sum the amount per region, largest first.',
        },
        deltas: words,
        forwarded: () => true,
      },
      {
        name: 'generate (fence cleaner, DuckDB profile)',
        path: '/api/v1/codegen/generate',
        body: { session_id: sessionId, refined_prompt: 'x'.repeat(60) },
        deltas: ['```python\n', ...codeLines, '```\n'],
        forwarded: (i) => i > 0 && i < DELTAS - 1,
      },
    ];

    for (const s of scenarios) {
      const firstByte: number[] = [];
      const perChunk: number[] = [];
      const directPerChunk: number[] = [];
      const requestToFirstByte: number[] = [];
      let unmatched = 0;
      for (let r = 0; r < WARMUP_RUNS + RUNS; r++) {
        // Through the service.
        fake.reset();
        fake.enqueue(textReply(s.deltas, { delayMs: DELTA_GAP_MS }));
        const started = performance.now();
        const ours = await timedPost(`${server.url}${s.path}`, s.body);
        const written = fake.requests[0].deltaWrittenAt;
        // Directly from the fake: the floor set by HTTP on this machine.
        fake.reset();
        fake.enqueue(textReply(s.deltas, { delayMs: DELTA_GAP_MS }));
        const direct = await timedPost(
          `${fake.url}/v1/messages`,
          { model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] },
          { authorization: `Bearer ${API_KEY}` },
        );
        const directWritten = fake.requests[0].deltaWrittenAt;
        if (r < WARMUP_RUNS) continue;

        requestToFirstByte.push(ours.eventAt[0] - started);
        // Measured from the first delta that reaches the client (generate drops the fence line).
        const firstForwarded = s.deltas.findIndex((_, i) => s.forwarded(i));
        firstByte.push(ours.eventAt[0] - written[firstForwarded]);
        let e = 0;
        for (let i = 0; i < written.length; i++) {
          if (!s.forwarded(i)) continue;
          if (ours.events[e]?.chunk !== s.deltas[i]) unmatched++;
          else perChunk.push(ours.eventAt[e] - written[i]);
          e++;
        }
        const deltaEvents = direct.events
          .map((ev, i) => ({ ev, at: direct.eventAt[i] }))
          .filter(({ ev }) => ev.type === 'content_block_delta');
        deltaEvents.forEach(({ at }, i) => directPerChunk.push(at - directWritten[i]));
      }

      const added = median(perChunk) - median(directPerChunk);
      console.log(
        `\n${s.name}: ${RUNS} runs x ${DELTAS} upstream deltas, ${DELTA_GAP_MS} ms apart`,
      );
      console.log(
        `  first SSE event after the upstream's first forwarded delta: median ${fmt(median(firstByte))}, ` +
          `p95 ${fmt(percentile(firstByte, 95))}, max ${fmt(Math.max(...firstByte))} ` +
          `(goal <= ${FIRST_BYTE_GOAL_MS} ms: ${percentile(firstByte, 95) <= FIRST_BYTE_GOAL_MS ? 'met' : 'NOT met'})`,
      );
      console.log(
        `  request sent -> first SSE event (incl. prompt building): median ${fmt(median(requestToFirstByte))}`,
      );
      console.log(
        `  per-chunk delay, upstream write -> our client: median ${fmt(median(perChunk))}, ` +
          `p95 ${fmt(percentile(perChunk, 95))}, max ${fmt(Math.max(...perChunk))}`,
      );
      console.log(
        `  per-chunk delay reading the fake directly:     median ${fmt(median(directPerChunk))}, ` +
          `p95 ${fmt(percentile(directPerChunk, 95))}`,
      );
      console.log(`  added by our layer per chunk (median): ${fmt(added)}`);
      console.log(
        `  buffering: ${unmatched === 0 ? 'none, every delta arrived as its own event' : `${unmatched} deltas were not forwarded as their own event`}`,
      );
    }
  } finally {
    await server.stop();
    await fake.close();
  }
}
