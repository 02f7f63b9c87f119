import { ModelUnavailable } from '../common/errors/domain-errors';
import type { LlmProvider } from '../config/environment';
import { LlmClient, LlmRequest, LlmStreamEvent } from './llm-client';

const ANTHROPIC_DETAIL =
  'The AI model is not configured: ANTHROPIC_API_KEY is not set. Set it in the environment ' +
  '(export ANTHROPIC_API_KEY=sk-ant-...) or add the line ANTHROPIC_API_KEY=sk-ant-... to the .env ' +
  'file in the project folder, then restart the server. Keys are created at https://console.anthropic.com/.';

const OPENAI_DETAIL =
  'The AI model is not configured: OPENAI_API_KEY is not set (LLM_PROVIDER=openai). Set it in the ' +
  'environment (export OPENAI_API_KEY=sk-...) or add the line OPENAI_API_KEY=sk-... to the .env ' +
  'file in the project folder, then restart the server. A local server that checks no key ' +
  '(Ollama, vLLM) takes any value, such as OPENAI_API_KEY=ollama.';

/** The 503 detail for a provider without a key: what to set, where, and that a restart follows. */
export function missingApiKeyDetail(provider: LlmProvider): string {
  return provider === 'openai' ? OPENAI_DETAIL : ANTHROPIC_DETAIL;
}

/** Stands in for the model when no API key is configured: every call is a 503. */
export class UnconfiguredLlmClient extends LlmClient {
  private readonly detail: string;

  constructor(provider: LlmProvider = 'anthropic') {
    super();
    this.detail = missingApiKeyDetail(provider);
  }

  ensureReady(): void {
    throw new ModelUnavailable(this.detail);
  }

  // eslint-disable-next-line require-yield
  async *stream(_request: LlmRequest, _signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    throw new ModelUnavailable(this.detail);
  }
}
