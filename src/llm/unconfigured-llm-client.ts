import { ModelUnavailable } from '../common/errors/domain-errors';
import { LlmClient, LlmRequest, LlmStreamEvent } from './llm-client';

export const MISSING_API_KEY_DETAIL =
  'The AI model is not configured: ANTHROPIC_API_KEY is not set. Set it in the environment ' +
  '(export ANTHROPIC_API_KEY=sk-ant-...) or add the line ANTHROPIC_API_KEY=sk-ant-... to the .env ' +
  'file in the project folder, then restart the server. Keys are created at https://console.anthropic.com/.';

/** Stands in for the model when no API key is configured: every call is a 503. */
export class UnconfiguredLlmClient extends LlmClient {
  ensureReady(): void {
    throw new ModelUnavailable(MISSING_API_KEY_DETAIL);
  }

  // eslint-disable-next-line require-yield
  async *stream(_request: LlmRequest, _signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    throw new ModelUnavailable(MISSING_API_KEY_DETAIL);
  }
}
