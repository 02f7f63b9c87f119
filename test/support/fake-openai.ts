import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local server that speaks the OpenAI Chat Completions API (POST /v1/chat/completions with
 * `stream: true`): `data: <chunk>` lines, a usage chunk, `data: [DONE]`; errors as
 * `{error: {message, type, code}}`. Tests run the real `openai` SDK against it over HTTP.
 */

export interface FakeOpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
}

export type FakeOpenAiStep =
  /** One `data: <json>` line (or `data: [DONE]` for the string '[DONE]'). */
  | { data: unknown }
  | { delayMs: number }
  /** Keep the response open until the client goes away. */
  | { hang: true };

export interface OpenAiHttpReply {
  kind: 'http';
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type FakeOpenAiReply = { kind: 'stream'; steps: FakeOpenAiStep[] } | OpenAiHttpReply;

export interface OpenAiReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** True when the client closed the connection before the reply was complete. */
  aborted: boolean;
  /** Resolves when the connection of this request has closed, either way. */
  closed: Promise<void>;
}

export const FAKE_OPENAI_USAGE: FakeOpenAiUsage = {
  prompt_tokens: 4300,
  completion_tokens: 0,
  cached_tokens: 3100,
};

const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): unknown => ({
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'fake-model',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

const deltas = (texts: string[]): FakeOpenAiStep[] => [
  { data: chunk({ role: 'assistant', content: '' }) },
  ...texts.map((content) => ({ data: chunk({ content }) })),
];

/** A normal streamed answer: role, the text deltas, a finish chunk, a usage chunk, [DONE]. */
export function openAiTextReply(
  texts: string[],
  options: { usage?: Partial<FakeOpenAiUsage>; finishReason?: string; delayMs?: number } = {},
): FakeOpenAiReply {
  const usage = { ...FAKE_OPENAI_USAGE, ...options.usage };
  const completion = usage.completion_tokens || texts.length;
  const steps: FakeOpenAiStep[] = [];
  for (const step of deltas(texts)) {
    if (options.delayMs) steps.push({ delayMs: options.delayMs });
    steps.push(step);
  }
  steps.push(
    { data: chunk({}, options.finishReason ?? 'stop') },
    {
      data: {
        id: 'chatcmpl-fake',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'fake-model',
        choices: [],
        usage: {
          prompt_tokens: usage.prompt_tokens,
          completion_tokens: completion,
          total_tokens: usage.prompt_tokens + completion,
          prompt_tokens_details: { cached_tokens: usage.cached_tokens },
        },
      },
    },
    { data: '[DONE]' },
  );
  return { kind: 'stream', steps };
}

/** Some deltas, then an `{error}` chunk, as servers send when a stream fails midway. */
export function openAiStreamErrorReply(
  texts: string[],
  type: string,
  message: string,
  code: string | null = null,
): FakeOpenAiReply {
  return {
    kind: 'stream',
    steps: [...deltas(texts), { data: { error: { message, type, code, param: null } } }],
  };
}

/** Some deltas, then nothing more until the client leaves. */
export function openAiHangingReply(texts: string[]): FakeOpenAiReply {
  return { kind: 'stream', steps: [...deltas(texts), { hang: true }] };
}

export function openAiErrorReply(
  status: number,
  type: string,
  message: string,
  code: string | null = null,
  headers: Record<string, string> = {},
): OpenAiHttpReply {
  return {
    kind: 'http',
    status,
    headers: { 'x-request-id': 'req_fake', ...headers },
    body: { error: { message, type, param: null, code } },
  };
}

export const openAiRateLimitedReply = (retryAfter = '0'): OpenAiHttpReply =>
  openAiErrorReply(
    429,
    'requests',
    'Rate limit reached for requests per min. Please try again in 1s.',
    'rate_limit_exceeded',
    { 'retry-after': retryAfter },
  );

export class FakeOpenAi {
  readonly requests: OpenAiReceivedRequest[] = [];
  private readonly queue: FakeOpenAiReply[] = [];

  private constructor(
    private readonly server: Server,
    /** The base URL to configure (OPENAI_BASE_URL), ending in /v1. */
    readonly url: string,
    /** The bearer key requests must carry; change it to make the fake answer 401. */
    public acceptedKey: string,
  ) {}

  /** Starts on a free port of 127.0.0.1; requests must carry `apiKey`. */
  static async start(apiKey: string): Promise<FakeOpenAi> {
    const ref: { fake?: FakeOpenAi } = {};
    const server = createServer((req, res) => {
      void ref.fake?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ref.fake = new FakeOpenAi(server, `http://127.0.0.1:${port}/v1`, apiKey);
    return ref.fake;
  }

  /** Replies for the next requests, in order; when none is left, a short text answer. */
  enqueue(...replies: FakeOpenAiReply[]): void {
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
    for await (const part of req) chunks.push(part as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      body = {};
    }
    let markClosed: () => void = () => undefined;
    const record: OpenAiReceivedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      aborted: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
      markClosed();
    });

    if (req.headers.authorization !== `Bearer ${this.acceptedKey}`) {
      const shown = (req.headers.authorization ?? '').slice(-4);
      return this.json(
        res,
        openAiErrorReply(
          401,
          'invalid_request_error',
          `Incorrect API key provided: sk-...${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_api_key',
        ),
      );
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return this.json(res, openAiErrorReply(404, 'invalid_request_error', `Unknown ${req.url}`));
    }
    const invalid = this.invalid(body);
    if (invalid) return this.json(res, openAiErrorReply(400, 'invalid_request_error', invalid));

    const reply = this.queue.shift() ?? openAiTextReply(['ok']);
    if (reply.kind === 'http') return this.json(res, reply);
    await this.stream(res, reply.steps, record);
  }

  private invalid(body: Record<string, unknown>): string | null {
    if (typeof body.model !== 'string') return "Missing required parameter: 'model'.";
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return "Missing required parameter: 'messages'.";
    }
    if (body.stream !== true) return 'this fake only streams';
    return null;
  }

  private json(res: ServerResponse, reply: OpenAiHttpReply): void {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  private async stream(
    res: ServerResponse,
    steps: FakeOpenAiStep[],
    record: OpenAiReceivedRequest,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
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
        const data = step.data === '[DONE]' ? '[DONE]' : JSON.stringify(step.data);
        res.write(`data: ${data}\n\n`);
      }
    }
    res.end();
  }
}
