import { LlmError, LlmStreamEvent, TokenUsage } from './llm-client';

/** Token counts in the final event, as the API reports them. */
export interface UsageBody {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The contract's server-sent events (api.md, "Server-sent events"). */
export type AiStreamEvent =
  | { chunk: string; done: false }
  | { done: true; usage: UsageBody; stop_reason: string | null }
  | { error: string; done: true };

/** Rewrites streamed text on the fly (see CodeStreamCleaner). */
export interface StreamTextFilter {
  /** Text to send now for this chunk; may be empty while the filter waits for more. */
  push(chunk: string): string;
  /** What is left to send when the model has finished. */
  end(): string;
}

export function usageBody(usage: TokenUsage): UsageBody {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheCreationInputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
  };
}

/**
 * Turns the model's events into the contract's events: one chunk per piece of text
 * as it arrives, then the done event, or the error event when the model call fails.
 */
export async function* toAiStreamEvents(
  events: AsyncIterable<LlmStreamEvent>,
  filter?: StreamTextFilter,
): AsyncGenerator<AiStreamEvent> {
  try {
    for await (const event of events) {
      if (event.type === 'text') {
        const text = filter ? filter.push(event.text) : event.text;
        if (text) yield { chunk: text, done: false };
      } else {
        const tail = filter?.end();
        if (tail) yield { chunk: tail, done: false };
        yield { done: true, usage: usageBody(event.usage), stop_reason: event.stopReason };
      }
    }
  } catch (error) {
    if (!(error instanceof LlmError)) throw error;
    yield { error: error.message, done: true };
  }
}
