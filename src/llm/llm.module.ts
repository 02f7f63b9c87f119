import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { aiConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics.service';
import { AnthropicLlmClient } from './anthropic-llm-client';
import { LlmClient } from './llm-client';
import { UnconfiguredLlmClient } from './unconfigured-llm-client';

/** Provides the `LlmClient` port; the adapter follows from config, so services never branch on it. */
@Module({
  providers: [
    {
      provide: LlmClient,
      inject: [aiConfig.KEY, AppLogger, Metrics],
      useFactory: (cfg: ConfigType<typeof aiConfig>, logger: AppLogger, metrics: Metrics) =>
        cfg.apiKey ? new AnthropicLlmClient(cfg, logger, metrics) : new UnconfiguredLlmClient(),
    },
  ],
  exports: [LlmClient],
})
export class LlmModule {}
