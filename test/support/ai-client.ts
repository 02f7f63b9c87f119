import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { FakeAnthropic } from './fake-anthropic';
import { startTestApp, TestApp, uploadCsv } from './test-app';

/** A key shaped like a real one, so the logger's pattern and the exact-value scrub both apply. */
export const CANARY_API_KEY = 'sk-ant-test-CANARY-5f1d2c9e8b7a6f5e4d3c2b1a';

export interface AiTestApp {
  fake: FakeAnthropic;
  t: TestApp;
  sessionId: string;
}

/** The app wired to a fresh fake Messages API (canary key), with a session holding `csv`. */
export async function startAiTestApp(
  csv: string,
  env: Record<string, string> = {},
): Promise<AiTestApp> {
  const fake = await FakeAnthropic.start(CANARY_API_KEY);
  try {
    const t = await startTestApp({
      ANTHROPIC_API_KEY: CANARY_API_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ...env,
    });
    return { fake, t, sessionId: await uploadCsv(t, csv) };
  } catch (error) {
    await fake.close();
    throw error;
  }
}

export async function stopAiTestApp({ fake, t }: Pick<AiTestApp, 'fake' | 't'>): Promise<void> {
  await t.close();
  await fake.close();
}

export type SseEvent = Record<string, unknown>;

export interface SseResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, exactly as sent. */
  raw: string;
  events: SseEvent[];
}

/**
 * Parses a text/event-stream body strictly against the contract: every event is one
 * `data: <json>` line followed by a blank line, and nothing else is sent.
 */
export function parseSse(raw: string): SseEvent[] {
  if (raw === '') return [];
  if (!raw.endsWith('\n\n'))
    throw new Error(`stream does not end with a blank line: ${JSON.stringify(raw.slice(-40))}`);
  return raw
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      if (!block.startsWith('data: ') || block.includes('\n')) {
        throw new Error(`not a single data line: ${JSON.stringify(block)}`);
      }
      return JSON.parse(block.slice('data: '.length)) as SseEvent;
    });
}

/** POSTs JSON and reads the whole answer, SSE or not. */
export async function postSse(t: TestApp, path: string, body: unknown): Promise<SseResponse> {
  const res = await request(t.http)
    .post(`${t.prefix}${path}`)
    .send(body as object)
    .buffer(true)
    .parse((response, callback) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => callback(null, text));
    });
  const raw = res.body as string;
  const isSse = String(res.headers['content-type']).startsWith('text/event-stream');
  return { status: res.status, headers: res.headers, raw, events: isSse ? parseSse(raw) : [] };
}

/** The text the chunks add up to. */
export function joinedChunks(events: SseEvent[]): string {
  return events
    .filter((e) => typeof e.chunk === 'string')
    .map((e) => e.chunk as string)
    .join('');
}

export interface OpenStream {
  /** Resolves with the first event. */
  firstEvent: Promise<SseEvent>;
  /** Drops the connection, as a closed browser tab would. */
  disconnect(): void;
}

/** Opens an SSE request on a real socket, so the client side can hang up midway. */
export async function openSse(t: TestApp, path: string, body: unknown): Promise<OpenStream> {
  const server = t.http as import('node:http').Server;
  if (!server.listening)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const payload = JSON.stringify(body);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `${t.prefix}${path}`,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  const firstEvent = new Promise<SseEvent>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\n\n');
        if (end !== -1) resolve(parseSse(text.slice(0, end + 2))[0]);
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
  });
  req.end(payload);
  return { firstEvent, disconnect: () => req.destroy() };
}
