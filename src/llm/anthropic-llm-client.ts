import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
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
import { describe, IdleTimer } from './stream-support';

type AiConfig = ConfigType<typeof aiConfig>;
type StreamParams = Anthropic.MessageCreateParamsStreaming;

const LOG_CONTEXT = 'AnthropicLlmClient';
/** Upstream messages quoted in an error event are cut to this length. */
const MAX_QUOTED_MESSAGE_CHARS = 300;

const MESSAGES: Record<LlmFailureKind, string> = {
  rate_limited:
    'The AI service is rate limiting this API key (too many requests or tokens per minute). Wait a minute and try again.',
  overloaded: 'The AI model is overloaded right now. Try again in a few minutes.',
  invalid_api_key:
    'The AI service rejected the API key (invalid API key). Check ANTHROPIC_API_KEY and restart the server.',
  permission_denied:
    'The API key is not allowed to use this model. Check the key and ANTHROPIC_MODEL.',
  billing:
    'The AI account cannot be billed for this request. Check the plan and credit balance in the Anthropic console.',
  model_not_found: 'The configured AI model was not found. Check ANTHROPIC_MODEL.',
  request_too_large:
    'The request is too large for the AI model. Shorten the instructions or the code, or use a table with fewer columns.',
  timed_out: 'The AI model took too long to answer (the request timed out). Try again.',
  connection_failed:
    'Could not reach the AI service (connection failed). Check the network connection and ANTHROPIC_BASE_URL, then try again.',
  incomplete:
    'The AI model stopped before finishing its answer (the connection closed early). Try again.',
  rejected: 'The AI service rejected the request.',
  upstream_error: 'The AI service had an internal error. Try again in a moment.',
};

/** Sends prompts to the Claude Messages API with streaming; the only file that uses the SDK. */
export class AnthropicLlmClient extends LlmClient {
  private readonly client: Anthropic;

  constructor(
    private readonly cfg: AiConfig,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
  ) {
    super();
    // Retries (429, 529, 5xx, connection errors) with backoff and `retry-after` are the
    // SDK's own; they happen before the first token, as a started stream is never retried.
    this.client = new Anthropic({
      apiKey: cfg.apiKey,
      // null: the SDK's default host; our config, not the SDK, reads ANTHROPIC_BASE_URL.
      baseURL: cfg.baseUrl ?? null,
      maxRetries: cfg.maxRetries,
      timeout: cfg.requestTimeoutMs,
      logLevel: 'info',
      logger: this.sdkLogger(),
    });
    if (cfg.temperature !== undefined) {
      this.logger.warn(
        `AI_TEMPERATURE=${cfg.temperature} is ignored: the Messages API version this SDK speaks (2026-10-21) refuses sampling parameters for every model`,
        LOG_CONTEXT,
      );
    }
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
      const stream = await this.client.messages.create(this.params(request), {
        signal: upstream.signal,
      });
      // The SDK's timeout covers the wait for response headers; this one covers a stream
      // that stalls afterwards.
      idle.start();
      const usage: TokenUsage = {
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationInputTokens: 0,
        cacheReadInputTokens: 0,
      };
      let stopReason: string | null = null;
      let stopped = false;
      for await (const event of stream) {
        idle.start();
        switch (event.type) {
          case 'message_start':
            mergeUsage(usage, event.message.usage);
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text) {
              yield { type: 'text', text: event.delta.text };
            }
            break;
          case 'message_delta':
            mergeUsage(usage, event.usage);
            stopReason = event.delta.stop_reason ?? stopReason;
            break;
          case 'message_stop':
            stopped = true;
            break;
          default:
            break;
        }
      }
      // The SDK ends an aborted stream quietly; tell the three endings apart here.
      if (signal.aborted) return;
      if (idle.fired) throw new LlmError('timed_out', MESSAGES.timed_out);
      if (!stopped) throw new LlmError('incomplete', MESSAGES.incomplete);
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
        : toLlmError(error, this.cfg.apiKey);
      this.logger.warn(
        {
          msg: 'model call failed',
          purpose: request.purpose,
          kind: failure.kind,
          cause: describe(error),
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

  private params(request: LlmRequest): StreamParams {
    const { system, context, task } = request.prompt;
    const user: Anthropic.TextBlockParam[] = [];
    if (context) user.push({ type: 'text', text: context, cache_control: { type: 'ephemeral' } });
    user.push({ type: 'text', text: task });
    // No temperature (AI_TEMPERATURE): API version 2026-10-21 answers 400 to sampling parameters.
    return {
      model: this.cfg.model,
      max_tokens: request.maxTokens,
      stream: true,
      system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: user }],
    };
  }

  /** The SDK's own log lines (request outcome, retries) go through the scrubbing logger. */
  private sdkLogger(): Anthropic['logger'] {
    const line = (args: unknown[]): string =>
      args.map((a) => (typeof a === 'string' ? a : describe(a))).join(' ');
    return {
      error: (...args: unknown[]) => this.logger.error({ msg: line(args) }, 'AnthropicSdk'),
      warn: (...args: unknown[]) => this.logger.warn({ msg: line(args) }, 'AnthropicSdk'),
      info: (...args: unknown[]) => this.logger.log({ msg: line(args) }, 'AnthropicSdk'),
      debug: (...args: unknown[]) => this.logger.debug({ msg: line(args) }, 'AnthropicSdk'),
    };
  }
}

interface UsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** message_start carries the input side, message_delta the running output count. */
function mergeUsage(into: TokenUsage, from: UsageFields | null | undefined): void {
  if (!from) return;
  if (typeof from.input_tokens === 'number') into.inputTokens = from.input_tokens;
  if (typeof from.output_tokens === 'number') into.outputTokens = from.output_tokens;
  if (typeof from.cache_creation_input_tokens === 'number') {
    into.cacheCreationInputTokens = from.cache_creation_input_tokens;
  }
  if (typeof from.cache_read_input_tokens === 'number') {
    into.cacheReadInputTokens = from.cache_read_input_tokens;
  }
}

/** Maps SDK failures, before or during the stream, to a kind and a message a person can act on. */
export function toLlmError(error: unknown, apiKey: string): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof APIConnectionTimeoutError)
    return new LlmError('timed_out', MESSAGES.timed_out);
  if (error instanceof APIUserAbortError)
    return new LlmError('connection_failed', MESSAGES.connection_failed);
  if (error instanceof APIConnectionError)
    return new LlmError('connection_failed', MESSAGES.connection_failed);
  if (error instanceof APIError) {
    const kind = kindOf(
      error.status as number | undefined,
      String(error.type ?? ''),
      error.apiMessage ?? '',
    );
    if (kind === 'rejected' && error.apiMessage) {
      const quoted = redact(error.apiMessage, apiKey).slice(0, MAX_QUOTED_MESSAGE_CHARS);
      return new LlmError(kind, `${MESSAGES.rejected} It said: ${quoted}`);
    }
    return new LlmError(kind, MESSAGES[kind]);
  }
  // undici reports a connection dropped mid-body as a TypeError ("terminated").
  if (error instanceof TypeError)
    return new LlmError('connection_failed', MESSAGES.connection_failed);
  return new LlmError('upstream_error', MESSAGES.upstream_error);
}

/** An `error` event inside a stream has no HTTP status, only the error type. */
function kindOf(status: number | undefined, type: string, apiMessage: string): LlmFailureKind {
  if (status === 429 || type === 'rate_limit_error') return 'rate_limited';
  if (status === 529 || type === 'overloaded_error') return 'overloaded';
  if (status === 401 || type === 'authentication_error') return 'invalid_api_key';
  if (status === 403 || type === 'permission_error') return 'permission_denied';
  if (status === 402 || type === 'billing_error') return 'billing';
  if (status === 404 || type === 'not_found_error') return 'model_not_found';
  if (status === 413 || type === 'request_too_large') return 'request_too_large';
  if (status === 408 || status === 504 || type === 'timeout_error') return 'timed_out';
  if (/prompt is too long|too many (input )?tokens|request too large/i.test(apiMessage)) {
    return 'request_too_large';
  }
  if ((status !== undefined && status >= 400 && status < 500) || type === 'invalid_request_error') {
    return 'rejected';
  }
  return 'upstream_error';
}

function redact(text: string, apiKey: string): string {
  const scrubbed = text.replace(/sk-ant-[A-Za-z0-9_-]+/g, '[REDACTED]');
  return apiKey ? scrubbed.split(apiKey).join('[REDACTED]') : scrubbed;
}
