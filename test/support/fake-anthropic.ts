import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A local server that speaks the Anthropic Messages API (POST /v1/messages with
 * `stream: true`), so tests and benchmarks run the real SDK over real HTTP.
 * Replies are scripted per test; every request body is captured.
 */

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type FakeStep =
  /** One server-sent event: `event: <event>` and `data: <json>`. */
  | { event: string; data: unknown }
  | { delayMs: number }
  /** Keep the response open until the client goes away. */
  | { hang: true };

export interface HttpReply {
  kind: 'http';
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type FakeReply = { kind: 'stream'; steps: FakeStep[] } | HttpReply;

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** True when the client closed the connection before the reply was complete. */
  aborted: boolean;
  /** Resolves when the connection of this request has closed, either way. */
  closed: Promise<void>;
  /** performance.now() right after each text delta was written. */
  deltaWrittenAt: number[];
}

export const FAKE_MODEL_USAGE: FakeUsage = {
  input_tokens: 1200,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 3100,
};

export interface TextReplyOptions {
  usage?: Partial<FakeUsage>;
  stopReason?: string;
  /** Pause before each delta. */
  delayMs?: number;
  /** Send a ping between message_start and the content. */
  ping?: boolean;
}

/** A normal streamed answer made of the given text deltas. */
export function textReply(chunks: string[], options: TextReplyOptions = {}): FakeReply {
  const usage = { ...FAKE_MODEL_USAGE, ...options.usage };
  const steps: FakeStep[] = [...opening(usage)];
  if (options.ping !== false) steps.push({ event: 'ping', data: { type: 'ping' } });
  steps.push({
    event: 'content_block_start',
    data: {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '', citations: null },
    },
  });
  for (const text of chunks) {
    if (options.delayMs) steps.push({ delayMs: options.delayMs });
    steps.push(delta(text));
  }
  steps.push(
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: options.stopReason ?? 'end_turn', stop_sequence: null },
        usage: {
          output_tokens: usage.output_tokens || chunks.length,
          input_tokens: null,
          cache_creation_input_tokens: null,
          cache_read_input_tokens: null,
        },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return { kind: 'stream', steps };
}

/** Some deltas, then the `error` event the API sends when a stream fails midway. */
export function streamErrorReply(chunks: string[], type: string, message: string): FakeReply {
  const steps: FakeStep[] = [
    ...opening(FAKE_MODEL_USAGE),
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    ...chunks.map(delta),
    { event: 'error', data: { type: 'error', error: { type, message } } },
  ];
  return { kind: 'stream', steps };
}

/** Some deltas, then nothing more until the client leaves. */
export function hangingReply(chunks: string[]): FakeReply {
  return {
    kind: 'stream',
    steps: [
      ...opening(FAKE_MODEL_USAGE),
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      ...chunks.map(delta),
      { hang: true },
    ],
  };
}

export function errorReply(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): HttpReply {
  return {
    kind: 'http',
    status,
    headers: { 'request-id': 'req_fake', ...headers },
    body: { type: 'error', error: { type, message } },
  };
}

/** 529, as the API answers when the model is overloaded. */
export const overloadedReply = (retryAfter = '0'): FakeReply =>
  errorReply(529, 'overloaded_error', 'Overloaded', { 'retry-after': retryAfter });

export const rateLimitedReply = (retryAfter = '0'): FakeReply =>
  errorReply(
    429,
    'rate_limit_error',
    'Number of request tokens has exceeded your per-minute rate limit',
    {
      'retry-after': retryAfter,
    },
  );

function opening(usage: FakeUsage): FakeStep[] {
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model: 'fake-model',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    },
  ];
}

function delta(text: string): FakeStep {
  return {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
  };
}

const SAMPLING_PARAMETERS = ['temperature', 'top_p', 'top_k'];

export class FakeAnthropic {
  readonly requests: ReceivedRequest[] = [];
  private readonly queue: FakeReply[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** The key requests must carry; change it to make the fake answer 401. */
    public acceptedKey: string,
  ) {}

  /** Starts on a free port of 127.0.0.1; requests must carry `apiKey`. */
  static async start(apiKey: string): Promise<FakeAnthropic> {
    const ref: { fake?: FakeAnthropic } = {};
    const server = createServer((req, res) => {
      void ref.fake?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ref.fake = new FakeAnthropic(server, `http://127.0.0.1:${port}`, apiKey);
    return ref.fake;
  }

  /** Replies for the next requests, in order; when none is left, a short text answer. */
  enqueue(...replies: FakeReply[]): void {
    this.queue.push(...replies);
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      body = {};
    }
    let markClosed: () => void = () => undefined;
    const record: ReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      aborted: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
      deltaWrittenAt: [],
    };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
      markClosed();
    });

    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ')
      ? auth.slice('Bearer '.length)
      : req.headers['x-api-key'];
    if (key !== this.acceptedKey) {
      return this.json(res, errorReply(401, 'authentication_error', 'invalid x-api-key'));
    }
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      return this.json(res, errorReply(404, 'not_found_error', `Not found: ${req.url}`));
    }
    const invalid = this.invalid(body);
    if (invalid) return this.json(res, errorReply(400, 'invalid_request_error', invalid));

    const reply = this.queue.shift() ?? textReply(['ok']);
    if (reply.kind === 'http') return this.json(res, reply);
    await this.stream(res, reply.steps, record);
  }

  /** The checks the real API makes that matter here (API version 2026-10-21). */
  private invalid(body: Record<string, unknown>): string | null {
    for (const p of SAMPLING_PARAMETERS)
      if (p in body) return `${p}: Extra inputs are not permitted`;
    if (typeof body.model !== 'string') return 'model: Field required';
    if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return 'messages: Field required';
    if (body.stream !== true) return 'this fake only streams';
    return null;
  }

  private json(res: ServerResponse, reply: HttpReply): void {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  private async stream(
    res: ServerResponse,
    steps: FakeStep[],
    record: ReceivedRequest,
  ): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': 'req_fake',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    for (const step of steps) {
      if (res.destroyed) return;
      if ('delayMs' in step) {
        await new Promise((resolve) => setTimeout(resolve, step.delayMs));
      } else if ('hang' in step) {
        await record.closed;
        return;
      } else {
        res.write(`event: ${step.event}\ndata: ${JSON.stringify(step.data)}\n\n`);
        if (step.event === 'content_block_delta') record.deltaWrittenAt.push(performance.now());
      }
    }
    res.end();
  }
}
