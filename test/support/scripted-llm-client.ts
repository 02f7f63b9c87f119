import {
  LlmClient,
  LlmError,
  LlmRequest,
  LlmStreamEvent,
  TokenUsage,
} from '../../src/llm/llm-client';

export const SCRIPTED_USAGE: TokenUsage = {
  inputTokens: 10,
  outputTokens: 5,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 7,
};

/** Hand-written LlmClient for unit tests: plays back text chunks, then ends or fails. */
export class ScriptedLlmClient extends LlmClient {
  readonly requests: LlmRequest[] = [];

  constructor(
    private readonly chunks: string[],
    private readonly failure?: LlmError,
  ) {
    super();
  }

  ensureReady(): void {}

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    this.requests.push(request);
    for (const text of this.chunks) {
      if (signal.aborted) return;
      yield { type: 'text', text };
    }
    if (this.failure) throw this.failure;
    yield { type: 'end', usage: SCRIPTED_USAGE, stopReason: 'end_turn' };
  }
}
