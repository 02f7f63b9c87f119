import 'reflect-metadata';
import { exitOnStartFailure } from './common/startup-checks';
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule, AppModule } from './app.module';
import { configureApp } from './app.setup';
import { drainOnSignals } from './common/http/graceful-shutdown';
import { appConfig, httpConfig } from './config/configuration';
import { environment } from './config/load-environment';

async function bootstrap(): Promise<void> {
  // Validate first so every bad variable is listed in one message, before Nest starts.
  const env = environment();
  // With REDIS_URL this node only accepts and answers; workers (src/worker.ts) run the jobs.
  const app = await NestFactory.create<NestExpressApplication>(
    env.REDIS_URL ? ApiModule : AppModule,
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  configureApp(app);
  const cfg = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  drainOnSignals(app, app.get<ConfigType<typeof httpConfig>>(httpConfig.KEY).shutdownTimeoutMs);
  await app.listen(cfg.port, cfg.host);
  console.log(`AI Code Builder listening on http://${cfg.host}:${cfg.port} (${cfg.env})`);
}

bootstrap().catch(exitOnStartFailure);
