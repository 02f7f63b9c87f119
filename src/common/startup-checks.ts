import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { aiConfig, appConfig, storageConfig } from '../config/configuration';
import { AppLogger } from './logging/app-logger.service';

export class StartupCheckFailed extends Error {}

/** Refuses to start on an unusable environment, before any request is taken. */
@Injectable()
export class StartupChecks implements OnModuleInit {
  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(aiConfig.KEY) private readonly ai: ConfigType<typeof aiConfig>,
    private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    for (const [name, dir] of Object.entries({
      INBOUND_DIR: this.storage.inboundDir,
      TEMP_DIR: this.storage.tempDir,
      LOG_DIR: this.storage.logDir,
    })) {
      try {
        mkdirSync(dir, { recursive: true });
        accessSync(dir, constants.W_OK);
      } catch (error) {
        problems.push(
          `${name} (${dir}) is not writable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    if (!this.ai.apiKey) {
      const key = `${this.ai.apiKeyVariable} is not set (LLM_PROVIDER=${this.ai.provider})`;
      if (this.app.isProduction) {
        problems.push(`${key}; it is required in production`);
      } else {
        this.logger.warn(`${key}: the AI endpoints will answer 503 until it is`, 'StartupChecks');
      }
    }
    if (problems.length > 0) {
      throw new StartupCheckFailed(`Cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
  }
}

/** Ends a process (server or worker) whose start failed: the reason on stderr, exit 1. */
export function exitOnStartFailure(error: unknown): never {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
