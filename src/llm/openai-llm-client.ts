import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai';
import type { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { aiConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import {
  LlmClient,
  LlmError,
  LlmFailureKind,
  LlmRequest,
  LlmStreamEvent,
  TokenUsage,
} from './llm-client';
import { describe, IdleTimer, SdkLogger } from './stream-support';

type AiConfig = ConfigType<typeof aiConfig>;
type StreamParams = OpenAI.Chat.ChatCompletionCreateParamsStreaming;

const LOG_CONTEXT = 'OpenAiLlmClient';
/** OpenAI's own host, used when OPENAI_BASE_URL is empty (the SDK would read the process's). */
const OPENAI_API_URL = 'https://api.openai.com/v1';
const MAX_QUOTED_MESSAGE_CHARS = 300;

const MESSAGES: Record<LlmFailureKind, string> = {
  rate_limited:
    'The AI service is rate limiting this API key (too many requests or tokens per minute). Wait a minute and try again.',
  overloaded: 'The AI model is overloaded right now. Try again in a few minutes.',
  invalid_api_key:
    'The AI service rejected the API key (invalid API key). Check OPENAI_API_KEY and restart the server.',
  permission_denied:
    'The API key is not allowed to use this model. Check OPENAI_API_KEY and OPENAI_MODEL.',
  billing:
    'The AI account has no quota left for this request. Check the plan and billing of the account behind OPENAI_API_KEY.',
  model_not_found:
    'The configured AI model was not found. Check OPENAI_MODEL (and OPENAI_BASE_URL, which usually ends in /v1).',
  request_too_large:
    'The request is too large for the AI model (over its context length). Shorten the instructions or the code, or use a table with fewer columns.',
  timed_out: 'The AI model took too long to answer (the request timed out). Try again.',
  connection_failed:
    'Could not reach the AI service (connection failed). Check the network connection and OPENAI_BASE_URL, then try again.',
  incomplete:
    'The AI model stopped before finishing its answer (the connection closed early). Try again.',
  rejected: 'The AI service rejected the request.',
  upstream_error: 'The AI service had an internal error. Try again in a moment.',
};

/** Chat Completions' finish reasons in the words the SSE contract's `stop_reason` uses. */
const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'refusal',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};

/**
 * Sends prompts to an OpenAI Chat Completions server (OpenAI, Azure OpenAI, vLLM, Ollama,
 * LM Studio) with streaming; the only file that uses the `openai` SDK. Same behaviour as
 * `AnthropicLlmClient`: text deltas, one `end` with usage, retries before the first token,
 * `LlmError`s in a person's words, a quiet end on abort.
 */
export class OpenAiLlmClient extends LlmClient {
  private readonly client: OpenAI;

  constructor(
    private readonly cfg: AiConfig,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
  ) {
    super();
    // Retries (408, 409, 429, 5xx, connection errors) with backoff and `retry-after` are the
    // SDK's; they happen before the first token, as a started stream is never retried.
    this.client = new OpenAI({
      apiKey: cfg.apiKey,
      baseURL: cfg.baseUrl ?? OPENAI_API_URL,
      maxRetries: cfg.maxRetries,
      timeout: cfg.requestTimeoutMs,
      logLevel: 'info',
      logger: this.sdkLogger(),
    });
  }

  ensureReady(): void {
    // A key is configured; whether it works is learnt from the first call.
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    const upstream = new AbortController();
    const cancel = (): void => upstream.abort();
    signal.addEventListener('abort', cancel, { once: true });
    const idle = new IdleTimer(this.cfg.requestTimeoutMs, cancel);
    let finished = false;
    try {
      if (signal.aborted) return;
      const stream = await this.client.chat.completions.create(this.params(request), {
        signal: upstream.signal,
      });
      // The SDK's timeout covers the wait for response headers; this one a stalled stream.
      idle.start();
      const usage: TokenUsage = {
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationInputTokens: 0,
        cacheReadInputTokens: 0,
      };
      let finishReason: string | null = null;
      for await (const chunk of stream) {
        idle.start();
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) yield { type: 'text', text };
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) mapUsage(usage, chunk.usage);
      }
      // The SDK ends an aborted stream quietly; tell the three endings apart here.
      if (signal.aborted) return;
      if (idle.fired) throw new LlmError('timed_out', MESSAGES.timed_out);
      if (finishReason === null) throw new LlmError('incomplete', MESSAGES.incomplete);
      const stopReason = STOP_REASONS[finishReason] ?? finishReason;
      finished = true;
      this.logger.log(
        { msg: 'model call finished', purpose: request.purpose, stop_reason: stopReason, usage },
        LOG_CONTEXT,
      );
      this.metrics.modelTokens(usage);
      yield { type: 'end', usage, stopReason };
    } catch (error) {
      if (signal.aborted) return;
      const failure = idle.fired
        ? new LlmError('timed_out', MESSAGES.timed_out)
        : toOpenAiLlmError(error, this.cfg.apiKey);
      this.logger.warn(
        {
          msg: 'model call failed',
          purpose: request.purpose,
          kind: failure.kind,
          cause: redact(describe(error), this.cfg.apiKey),
        },
        LOG_CONTEXT,
      );
      this.metrics.modelError(failure.kind);
      throw failure;
    } finally {
      idle.stop();
      signal.removeEventListener('abort', cancel);
      if (!finished) upstream.abort();
      if (signal.aborted) {
        this.logger.log(
          { msg: 'model call cancelled by the client', purpose: request.purpose },
          LOG_CONTEXT,
        );
      }
    }
  }

  /** The system prompt is a `system` message; context and task one user message, in that order. */
  private params(request: LlmRequest): StreamParams {
    const { system, context, task } = request.prompt;
    const user = context ? `${context}\n\n${task}` : task;
    const params: StreamParams = {
      model: this.cfg.model,
      // `max_tokens`, not `max_completion_tokens`: every compatible server reads it.
      max_tokens: request.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    };
    if (this.cfg.temperature !== undefined) params.temperature = this.cfg.temperature;
    return params;
  }

  private sdkLogger(): SdkLogger {
    const line = (args: unknown[]): string =>
      args.map((a) => (typeof a === 'string' ? a : describe(a))).join(' ');
    return {
      error: (...args: unknown[]) => this.logger.error({ msg: line(args) }, 'OpenAiSdk'),
      warn: (...args: unknown[]) => this.logger.warn({ msg: line(args) }, 'OpenAiSdk'),
      info: (...args: unknown[]) => this.logger.log({ msg: line(args) }, 'OpenAiSdk'),
      debug: (...args: unknown[]) => this.logger.debug({ msg: line(args) }, 'OpenAiSdk'),
    };
  }
}

/**
 * Chat Completions counts cached tokens inside `prompt_tokens`; the port, like the Messages
 * API, counts them apart, so `inputTokens` is the uncached part.
 */
function mapUsage(into: TokenUsage, from: OpenAI.CompletionUsage): void {
  const cached = from.prompt_tokens_details?.cached_tokens ?? 0;
  into.inputTokens = Math.max(0, (from.prompt_tokens ?? 0) - cached);
  into.outputTokens = from.completion_tokens ?? 0;
  into.cacheReadInputTokens = cached;
}

/** Maps SDK failures, before or during the stream, to a kind and a message a person can act on. */
export function toOpenAiLlmError(error: unknown, apiKey: string): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new LlmError('timed_out', MESSAGES.timed_out);
  }
  if (error instanceof APIUserAbortError || error instanceof APIConnectionError) {
    return new LlmError('connection_failed', MESSAGES.connection_failed);
  }
  if (error instanceof APIError) {
    const body = (error.error ?? {}) as { message?: unknown };
    const apiMessage = typeof body.message === 'string' ? body.message : '';
    const kind = kindOf(error.status as number | undefined, error.type, error.code, apiMessage);
    if (kind === 'rejected' && apiMessage) {
      const quoted = redact(apiMessage, apiKey).slice(0, MAX_QUOTED_MESSAGE_CHARS);
      return new LlmError(kind, `${MESSAGES.rejected} It said: ${quoted}`);
    }
    return new LlmError(kind, MESSAGES[kind]);
  }
  // undici reports a connection dropped mid-body as a TypeError ("terminated").
  if (error instanceof TypeError) {
    return new LlmError('connection_failed', MESSAGES.connection_failed);
  }
  return new LlmError('upstream_error', MESSAGES.upstream_error);
}

/** An error chunk inside a stream has no HTTP status, only its type and code. */
function kindOf(
  status: number | undefined,
  type: string | null | undefined,
  code: string | null | undefined,
  apiMessage: string,
): LlmFailureKind {
  const tags = new Set([type ?? '', code ?? '']);
  const has = (...names: string[]): boolean => names.some((n) => tags.has(n));
  if (status === 402 || has('insufficient_quota', 'billing_hard_limit_reached')) return 'billing';
  if (status === 429 || has('rate_limit_exceeded', 'rate_limit_error', 'tokens', 'requests')) {
    return 'rate_limited';
  }
  if (status === 401 || has('invalid_api_key', 'authentication_error')) return 'invalid_api_key';
  if (status === 403 || has('permission_error', 'unsupported_country_region_territory')) {
    return 'permission_denied';
  }
  if (status === 404 || has('model_not_found')) return 'model_not_found';
  if (
    status === 413 ||
    has('context_length_exceeded', 'request_too_large') ||
    /maximum context length|too many tokens|prompt is too long|request too large/i.test(apiMessage)
  ) {
    return 'request_too_large';
  }
  if (status === 408 || status === 504 || has('timeout')) return 'timed_out';
  if (status === 503 || status === 529 || /overloaded/i.test(apiMessage)) return 'overloaded';
  if ((status !== undefined && status >= 400 && status < 500) || has('invalid_request_error')) {
    return 'rejected';
  }
  return 'upstream_error';
}

function redact(text: string, apiKey: string): string {
  const scrubbed = text.replace(/sk-[A-Za-z0-9_-]{16,}/g, '[REDACTED]');
  return apiKey ? scrubbed.split(apiKey).join('[REDACTED]') : scrubbed;
}
