/**
 * Graceful shutdown (src/common/http/graceful-shutdown.ts) on the real server, started as
 * its own process from the sources (ts-node), with the fake Anthropic server as the model:
 * on SIGTERM the requests in flight (an event stream, an upload still arriving) finish
 * normally, new connections are refused, and the process exits 0; a request that outlasts
 * SHUTDOWN_TIMEOUT_SECONDS is cut, a running job is stopped, and the process still exits 0.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, get as httpGet } from 'node:http';
import { FakeAnthropic, hangingReply, textReply } from './support/fake-anthropic';
import { startServerProcess } from './support/server-process';

const API_KEY = 'sk-ant-test-shutdown-000000000000';
const PROMPT = 'Sum the amount per region and keep one row per region, sorted by region.';
const CSV = 'id,region,amount\n1,north,10.5\n2,south,3\n3,north,7.25\n';
const CODE_CHUNKS = [
  'def transform(df):\n',
  '    return df.groupby("region", as_index=False)',
  '["amount"].sum()\n',
];

jest.setTimeout(240_000);

async function upload(url: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([CSV], { type: 'text/csv' }), 'orders.csv');
  const res = await fetch(`${url}/api/v1/upload`, { method: 'POST', body: form });
  const body = (await res.json()) as { session_id: string };
  expect(res.status).toBe(200);
  return body.session_id;
}

/** An event stream being read: its first event has arrived. */
interface OpenStream {
  /** Resolves with every `data:` event, once the stream has ended; rejects if it was cut. */
  rest: Promise<Record<string, unknown>[]>;
}

async function openGeneration(url: string, sessionId: string): Promise<OpenStream> {
  const res = await fetch(`${url}/api/v1/codegen/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: sessionId, refined_prompt: PROMPT }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const events = (): Record<string, unknown>[] =>
    text
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => JSON.parse(block.slice('data: '.length)) as Record<string, unknown>);
  while (events().length === 0) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before its first event: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  const rest = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return events();
      text += decoder.decode(value, { stream: true });
    }
  })();
  rest.catch(() => undefined);
  return { rest };
}

/** A fresh connection (no keep-alive reuse) to GET /health: its status, or the socket error's code. */
function freshHealth(url: string): Promise<number | string> {
  return new Promise((done) => {
    httpGet(`${url}/health`, { agent: false }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    }).on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * A multipart upload whose body arrives in two parts: `finish()` sends the rest and
 * resolves with the status and body of the answer.
 */
function slowUpload(
  url: string,
): Promise<{ finish: () => Promise<{ status: number; body: string }> }> {
  const boundary = 'shutdown-test-boundary';
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\n` +
    'Content-Type: text/csv\r\n\r\n' +
    CSV.slice(0, 20);
  const tail = `${CSV.slice(20)}\r\n--${boundary}--\r\n`;
  return new Promise((ready, fail) => {
    const req = httpRequest(`${url}/api/v1/upload`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': Buffer.byteLength(head) + Buffer.byteLength(tail),
      },
    });
    const answer = new Promise<{ status: number; body: string }>((done, failAnswer) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        res.on('error', failAnswer);
      });
      req.on('error', failAnswer);
    });
    answer.catch(() => undefined);
    req.on('error', fail);
    req.flushHeaders();
    req.write(head, () =>
      ready({
        finish: () => {
          req.end(tail);
          return answer;
        },
      }),
    );
  });
}

/** Ids of the live (not zombie) processes below `pid`: the server's sandboxes and helpers. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parents.set(Number(entry), Number(ppid));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0;) {
    const next = [...parents].filter(([, ppid]) => frontier.includes(ppid)).map(([p]) => p);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A job that never ends by itself (until SANDBOX_TIMEOUT_SECONDS): resolves once it is running. */
async function startEndlessJob(url: string, sessionId: string): Promise<void> {
  const code = 'def transform(df):\n    n = 0\n    while True:\n        n += 1\n';
  const res = await fetch(`${url}/api/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_id: sessionId, code }),
  });
  const body = (await res.json()) as { job_id: string };
  expect(res.status).toBe(200);
  for (;;) {
    const job = await fetch(`${url}/api/v1/execute/${sessionId}/${body.job_id}`);
    const { status } = (await job.json()) as { status: string };
    if (status === 'running') return;
    expect(['queued', 'running']).toContain(status);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('graceful shutdown on SIGTERM', () => {
  let fake: FakeAnthropic;

  beforeAll(async () => {
    fake = await FakeAnthropic.start(API_KEY);
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('lets the stream and the upload in flight finish, refuses new connections and exits 0', async () => {
    const server = await startServerProcess({
      env: {
        ANTHROPIC_API_KEY: API_KEY,
        ANTHROPIC_BASE_URL: fake.url,
        SHUTDOWN_TIMEOUT_SECONDS: '60',
      },
    });
    try {
      const sessionId = await upload(server.url);
      // ~6 s of deltas: the stream is still under way when the signal comes.
      const padding = Array.from({ length: 20 }, () => '');
      fake.enqueue(textReply([...CODE_CHUNKS, ...padding], { delayMs: 250 }));
      const stream = await openGeneration(server.url, sessionId);
      const uploading = await slowUpload(server.url);
      const children = descendants(server.child.pid!);

      server.child.kill('SIGTERM');
      // The listening socket closes at once; poll until it has.
      let fresh: number | string = 200;
      for (let i = 0; i < 50 && fresh === 200; i++) {
        fresh = await freshHealth(server.url);
        if (fresh === 200) await new Promise((r) => setTimeout(r, 50));
      }
      // ECONNRESET: the connection sat in the backlog as the listening socket closed.
      expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(fresh);

      const uploaded = await uploading.finish();
      expect(uploaded.status).toBe(200);
      expect(JSON.parse(uploaded.body)).toMatchObject({ row_count: 3, column_count: 3 });

      const events = await stream.rest;
      const last = events[events.length - 1];
      expect(last).toMatchObject({ done: true });
      expect(last).not.toHaveProperty('error');
      expect(events.map((e) => (typeof e.chunk === 'string' ? e.chunk : '')).join('')).toBe(
        CODE_CHUNKS.join(''),
      );

      expect(await server.exited).toEqual({ code: 0, signal: null });
      const logs = server.logs();
      expect(logs).toContain('stopping: draining requests');
      expect(logs).not.toContain('drain deadline passed');
      expect(children.length).toBeGreaterThan(0);
      expect(children.filter(alive)).toEqual([]);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('cuts a stream that outlasts SHUTDOWN_TIMEOUT_SECONDS, stops a running job and still exits 0', async () => {
    const server = await startServerProcess({
      env: {
        ANTHROPIC_API_KEY: API_KEY,
        ANTHROPIC_BASE_URL: fake.url,
        SHUTDOWN_TIMEOUT_SECONDS: '1',
      },
    });
    try {
      const sessionId = await upload(server.url);
      fake.enqueue(hangingReply(['def transform(df):\n']));
      const stream = await openGeneration(server.url, sessionId);
      await startEndlessJob(server.url, sessionId);
      const children = descendants(server.child.pid!);

      server.child.kill('SIGTERM');

      const ended = await stream.rest.then(
        (events) => events[events.length - 1],
        (error: unknown) => error,
      );
      // Cut: either the connection dropped or the stream ended without its success event.
      expect(ended).not.toEqual({ done: true });
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.logs()).toContain('drain deadline passed');
      // The job's sandbox (and every other child) ended with the server.
      expect(children.length).toBeGreaterThan(0);
      expect(children.filter(alive)).toEqual([]);
      // The model request was given up too.
      expect(fake.requests[fake.requests.length - 1].aborted).toBe(true);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
