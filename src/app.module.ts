import { ExecutionModule } from './execution/execution.module';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { GlobalExceptionFilter } from './common/http/global-exception.filter';
import { ContractValidationPipe } from './common/http/validation.pipe';
import { LoggingModule } from './common/logging/logging.module';
import { StartupChecks } from './common/startup-checks';
import { CodegenModule } from './codegen/codegen.module';
import { AppConfigModule } from './config/config.module';
import { DuckDbModule } from './duckdb/duckdb.module';
import { HealthModule } from './health/health.module';
import { InstructionsModule } from './instructions/instructions.module';
import { SessionsModule } from './sessions/sessions.module';
import { UploadModule } from './upload/upload.module';

/**
 * The modular monolith. Request id and security headers are Express middleware in
 * app.setup.ts, because they must run before body parsing.
 */
@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    ScheduleModule.forRoot(),
    DuckDbModule,
    HealthModule,
    SessionsModule,
    UploadModule,
    InstructionsModule,
    CodegenModule,
    ExecutionModule,
  ],
  providers: [
    StartupChecks,
    { provide: APP_PIPE, useClass: ContractValidationPipe },
    { provide: APP_FILTER, useClass: GlobalExceptionFilter },
  ],
})
export class AppModule {}
