import { Module } from '@nestjs/common';
import { ExecutionModule } from '../execution/execution.module';
import { SandboxModule } from '../sandbox';
import { HealthController } from './health.controller';

@Module({ imports: [SandboxModule, ExecutionModule], controllers: [HealthController] })
export class HealthModule {}
