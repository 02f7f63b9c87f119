import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiTokenGuard } from './auth/api-token.guard';
import { RateLimitGuard } from './auth/rate-limit.guard';
import { RedisThrottlerStorage } from './auth/redis-throttler-storage';
import { GlobalExceptionFilter } from './common/http/global-exception.filter';
import { ContractValidationPipe } from './common/http/validation.pipe';
import { LoggingModule } from './common/logging/logging.module';
import { RedisConnection, RedisModule } from './common/redis/redis.module';
import { StartupChecks } from './common/startup-checks';
import { AutoModeModule } from './codegen/auto/auto-mode.module';
import { CodegenModule } from './codegen/codegen.module';
import { AppConfigModule } from './config/config.module';
import { httpConfig } from './config/configuration';
import { DuckDbModule } from './duckdb/duckdb.module';
import { ExecutionModule } from './execution/execution.module';
import { JobWorkerModule } from './execution/job-worker.module';
import { HealthModule } from './health/health.module';
import { InstructionsModule } from './instructions/instructions.module';
import { MetricsModule } from './metrics/metrics.module';
import { RecipesModule } from './recipes/recipes.module';
import { SessionsModule } from './sessions/sessions.module';
import { StorageModule } from './storage/storage.module';
import { UploadModule } from './upload/upload.module';

/**
 * The HTTP service without the job runner: an API node of the distributed shape
 * (REDIS_URL set; workers run the jobs, src/worker.ts). The access log (with the request
 * id) and security headers are Express middleware in app.setup.ts, because they must run
 * before body parsing. Guards run in order: the bearer token first, so rate limits count
 * per token.
 */
@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    MetricsModule,
    RedisModule,
    ScheduleModule.forRoot(),
    ThrottlerModule.forRootAsync({
      inject: [httpConfig.KEY, RedisConnection],
      useFactory: ({ rateLimit }: ConfigType<typeof httpConfig>, redis: RedisConnection) => ({
        // Distributed: one count per client across every API node.
        ...(redis.enabled
          ? { storage: new RedisThrottlerStorage(redis.client, redis.prefix) }
          : {}),
        setHeaders: false,
        throttlers: [
          { name: 'ai', ttl: rateLimit.windowMs, limit: rateLimit.aiMax },
          { name: 'execute', ttl: rateLimit.windowMs, limit: rateLimit.executeMax },
          { name: 'upload', ttl: rateLimit.windowMs, limit: rateLimit.uploadMax },
        ],
      }),
    }),
    DuckDbModule,
    HealthModule,
    SessionsModule,
    StorageModule,
    UploadModule,
    InstructionsModule,
    CodegenModule,
    ExecutionModule,
    AutoModeModule,
    RecipesModule,
  ],
  providers: [
    StartupChecks,
    { provide: APP_GUARD, useClass: ApiTokenGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_PIPE, useClass: ContractValidationPipe },
    { provide: APP_FILTER, useClass: GlobalExceptionFilter },
  ],
})
export class ApiModule {}

/** The embedded shape (the default, one `npm start`): the HTTP service and the job runner. */
@Module({ imports: [ApiModule, JobWorkerModule] })
export class AppModule {}
