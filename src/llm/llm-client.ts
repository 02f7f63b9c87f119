/** What a prompt builder produces: three parts, from most to least stable. */
export interface LlmPrompt {
  /** Instructions that never change between requests; cached by the provider. */
  system: string;
  /** Context shared by several requests of one session (schema, profile); cached too. */
  context: string | null;
  /** This request's own text. */
  task: string;
}

export interface LlmRequest {
  /** Names the step in logs. */
  purpose: 'refine' | 'generate' | 'fix';
  prompt: LlmPrompt;
  maxTokens: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

export type LlmStreamEvent =
  { type: 'text'; text: string } | { type: 'end'; usage: TokenUsage; stopReason: string | null };

export type LlmFailureKind =
  | 'rate_limited'
  | 'overloaded'
  | 'invalid_api_key'
  | 'permission_denied'
  | 'billing'
  | 'model_not_found'
  | 'request_too_large'
  | 'timed_out'
  | 'connection_failed'
  | 'incomplete'
  | 'rejected'
  | 'upstream_error';

/** A model call that failed; `message` is written for the person using the app. */
export class LlmError extends Error {
  constructor(
    readonly kind: LlmFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/**
 * Port to the language model. Adapters: `AnthropicLlmClient` (the Messages API),
 * `OpenAiLlmClient` (Chat Completions) and `UnconfiguredLlmClient` (no API key). Picked by
 * the factory in `LlmModule` from LLM_PROVIDER and its key.
 */
export abstract class LlmClient {
  /**
   * Throws `ModelUnavailable` when no request can succeed (no API key). Services call
   * it before a stream starts, so the caller gets a 503 instead of an error event.
   */
  abstract ensureReady(): void;

  /**
   * Streams the model's answer as text events, then exactly one `end` event.
   * Failures throw `LlmError`. Aborting `signal` cancels the upstream request and ends
   * the iteration without an error.
   */
  abstract stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent>;
}
