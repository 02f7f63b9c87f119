import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { LeftoverSweep } from '../src/storage/leftover-sweep.service';
import { CANARY_API_KEY, parseSse, startAiTestApp, stopAiTestApp } from './support/ai-client';
import { run } from './support/execution-client';
import { textReply } from './support/fake-anthropic';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

/** Polls `check` until it holds; a liveness bound, not a timing assertion. */
async function eventually(check: () => boolean, what: string, boundMs = 30_000): Promise<void> {
  const until = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`still not true after ${boundMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

/** Code whose output is `rows` rows of 100-character text: about 100 bytes a row. */
const wideOutput = (rows: number): string => `import pandas as pd

def transform(df):
    return pd.DataFrame({"text": ["x" * 100] * ${rows}})
`;

/**
 * A client that asks for `path` and then reads nothing, with a small receive buffer
 * (Python, since Node cannot set SO_RCVBUF). Prints "sent" once the request is out.
 */
function stalledClient(port: number, path: string): ChildProcess {
  const script = `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", ${port}))
s.sendall(b"GET ${path} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
print("sent", flush=True)
time.sleep(600)
`;
  return spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('refused uploads leave nothing behind', () => {
  let t: TestApp;
  let incoming: string;

  beforeAll(async () => {
    t = await startTestApp({ MAX_UPLOAD_SIZE_MB: '1' });
    incoming = join(t.root, 'inbound', '.incoming');
  });
  afterAll(async () => t.close());

  const upload = () => request(t.http).post(`${t.prefix}/upload`);

  const csv = Buffer.from('a,b\n1,2\n');
  it.each<[string, () => request.Test, number, Buffer]>([
    ['422: a 256-character sheet field', () => upload().field('sheet', 's'.repeat(256)), 422, csv],
    ['422: header is neither true nor false', () => upload().field('header', 'maybe'), 422, csv],
    ['400: the file is empty', () => upload(), 400, Buffer.alloc(0)],
    ['400: a row longer than the header', () => upload(), 400, Buffer.from('a\n1,2,3\n')],
  ])('%s: the file is gone when the response arrives', async (_, start, status, body) => {
    const res = await start().attach('file', body, 'data.csv').expect(status);
    expect(res.body.detail).toBeTruthy();
    expect(list(incoming)).toEqual([]);
  });

  it('413: a file over MAX_UPLOAD_SIZE_MB, cut off while it arrives', async () => {
    const res = await upload()
      .attach('file', Buffer.alloc(1024 * 1024 + 10, 'a,b\n'), 'big.csv')
      .expect(413);
    expect(res.body.detail).toMatch(/1 MB upload limit/);
    expect(list(incoming)).toEqual([]);
  });
});

describe('storage budgets', () => {
  let t: TestApp;

  afterEach(async () => t.close());

  it('SESSION_MAX_BYTES: a larger upload answers 413, a larger output fails its job', async () => {
    t = await startTestApp({ SESSION_MAX_BYTES: String(64 * 1024) });
    const big = ['n', ...Array.from({ length: 20_000 }, (_, i) => String(i))].join('\n');
    const refused = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.from(big), 'big.csv')
      .expect(413);
    expect(refused.body.detail).toMatch(/SESSION_MAX_BYTES is 64 KB/);
    expect(list(join(t.root, 'inbound', '.incoming'))).toEqual([]);

    const session = await uploadCsv(t, 'n\n1\n2\n');
    const small = await run(t, session, wideOutput(10));
    expect(small.status).toBe('success');
    const job = await run(t, session, wideOutput(1000));
    expect(job.status).toBe('error');
    expect(job.error_message).toMatch(/SESSION_MAX_BYTES is 64 KB/);
    // The budget counts what is kept: the refused output is not.
    expect((await run(t, session, wideOutput(10))).status).toBe('success');
  });

  it('STORAGE_MAX_BYTES: all sessions together; deleting one makes room', async () => {
    t = await startTestApp({ STORAGE_MAX_BYTES: String(48 * 1024) });
    const csv = ['n', ...Array.from({ length: 5_000 }, (_, i) => String(100_000 + i))].join('\n');
    const first = await uploadCsv(t, csv);
    const refused = await request(t.http)
      .post(`${t.prefix}/upload`)
      .attach('file', Buffer.from(csv), 'again.csv')
      .expect(413);
    expect(refused.body.detail).toMatch(/STORAGE_MAX_BYTES is 48 KB/);

    const job = await run(t, first, wideOutput(200));
    expect(job.status).toBe('error');
    expect(job.error_message).toMatch(/STORAGE_MAX_BYTES is 48 KB/);

    await request(t.http).delete(`${t.prefix}/sessions/${first}`).expect(204);
    await uploadCsv(t, csv);
  });
});

describe('export files live no longer than their download', () => {
  let t: TestApp;
  let session: string;
  let job: string;
  let exportsDir: string;
  let port: number;
  const clients: ChildProcess[] = [];

  beforeAll(async () => {
    t = await startTestApp({ HTTP_IDLE_TIMEOUT_SECONDS: '1' });
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    port = (t.http.address() as AddressInfo).port;
    exportsDir = join(t.root, 'tmp', 'exports');
    session = await uploadCsv(t, 'n\n1\n');
    // About 10 MB of CSV: far more than the socket buffers hold.
    const result = await run(t, session, wideOutput(100_000));
    expect(result.status).toBe('success');
    job = result.job_id;
  });
  afterAll(async () => {
    for (const c of clients) c.kill('SIGKILL');
    await t.close();
  });

  const stall = async (): Promise<ChildProcess> => {
    const client = stalledClient(port, `${t.prefix}/execute/${session}/${job}/output`);
    clients.push(client);
    await new Promise<void>((resolve) => client.stdout?.once('data', () => resolve()));
    await eventually(() => list(exportsDir).length > 0, 'the export file is written');
    return client;
  };

  it('a whole download removes its file', async () => {
    const res = await request(t.http)
      .get(`${t.prefix}/execute/${session}/${job}/output`)
      .buffer(true)
      .parse((r, done) => {
        let bytes = 0;
        r.on('data', (chunk: Buffer) => (bytes += chunk.length));
        r.on('end', () => done(null, bytes));
      })
      .expect(200);
    expect(res.body).toBeGreaterThan(10_000_000);
    await eventually(() => list(exportsDir).length === 0, 'the export file is removed');
  });

  it('a client that stops reading is cut off after the idle timeout and its file removed', async () => {
    await stall();
    await eventually(() => list(exportsDir).length === 0, 'the stalled export is removed');
    await request(t.http).get('/health').expect(200);
  });

  it('deleting the session ends its downloads under way and removes their files', async () => {
    await t.close();
    t = await startTestApp({ HTTP_IDLE_TIMEOUT_SECONDS: '3600' });
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    port = (t.http.address() as AddressInfo).port;
    exportsDir = join(t.root, 'tmp', 'exports');
    session = await uploadCsv(t, 'n\n1\n');
    job = (await run(t, session, wideOutput(100_000))).job_id;
    await stall();
    await request(t.http).delete(`${t.prefix}/sessions/${session}`).expect(204);
    await eventually(() => list(exportsDir).length === 0, 'the export of the ended session');
  });
});

describe('an event stream waiting on the model is not cut by the idle timeout', () => {
  it('gets comment lines while it waits, then all its events', async () => {
    const { fake, t, sessionId } = await startAiTestApp('region,amount\nN,1\n', {
      HTTP_IDLE_TIMEOUT_SECONDS: '1',
    });
    try {
      fake.acceptedKey = CANARY_API_KEY;
      fake.enqueue(textReply(['## Objective\n', 'Total per region.\n'], { delayMs: 2500 }));
      const res = await request(t.http)
        .post(`${t.prefix}/instructions/refine`)
        .send({
          session_id: sessionId,
          raw_instructions: 'Total amount per region, largest first.',
        })
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => (text += chunk));
          r.on('end', () => done(null, text));
        })
        .expect(200);
      const raw = res.body as string;
      expect(raw).toMatch(/^: keep-alive\n\n/m);
      const events = parseSse(raw.replace(/^: keep-alive\n\n/gm, ''));
      expect(events.map((e) => e.chunk ?? null)).toEqual([
        '## Objective\n',
        'Total per region.\n',
        null,
      ]);
      expect(events.at(-1)).toMatchObject({ done: true });
    } finally {
      await stopAiTestApp({ fake, t });
    }
  });
});

describe('start-up sweep', () => {
  it('keeps the folders of live sessions and removes orphans', async () => {
    const t = await startTestApp();
    try {
      const live = await uploadCsv(t, 'n\n1\n');
      const orphan = join(t.root, 'inbound', '8f14e45f-ceea-467f-a0e6-0123456789ab');
      const recipes = join(t.root, 'inbound', 'recipes');
      mkdirSync(orphan);
      mkdirSync(recipes);
      writeFileSync(join(orphan, 'upload.csv'), 'n\n1\n');
      const report = await t.app.get(LeftoverSweep).sweep();
      expect(report.sessionDirs).toEqual([orphan]);
      expect(existsSync(join(t.root, 'inbound', live))).toBe(true);
      expect(existsSync(recipes)).toBe(true);
    } finally {
      await t.close();
    }
  });
});
