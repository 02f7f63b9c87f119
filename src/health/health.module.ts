import { Module } from '@nestjs/common';
import { SandboxModule } from '../sandbox';
import { HealthController } from './health.controller';

@Module({ imports: [SandboxModule], controllers: [HealthController] })
export class HealthModule {}
