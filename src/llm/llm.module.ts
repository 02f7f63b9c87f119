import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { aiConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import { AnthropicLlmClient } from './anthropic-llm-client';
import { LlmClient } from './llm-client';
import { OpenAiLlmClient } from './openai-llm-client';
import { UnconfiguredLlmClient } from './unconfigured-llm-client';

function llmClient(
  cfg: ConfigType<typeof aiConfig>,
  logger: AppLogger,
  metrics: Metrics,
): LlmClient {
  if (!cfg.apiKey) return new UnconfiguredLlmClient(cfg.provider);
  return cfg.provider === 'openai'
    ? new OpenAiLlmClient(cfg, logger, metrics)
    : new AnthropicLlmClient(cfg, logger, metrics);
}

/**
 * Provides the `LlmClient` port; the adapter follows from config (LLM_PROVIDER and its key),
 * so services never branch on it.
 */
@Module({
  providers: [
    { provide: LlmClient, inject: [aiConfig.KEY, AppLogger, Metrics], useFactory: llmClient },
  ],
  exports: [LlmClient],
})
export class LlmModule {}
