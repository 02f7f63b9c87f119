import { Controller, Get, Inject } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { appConfig, queueConfig, storageConfig } from '../config/configuration';
import { JobQueue } from '../execution/jobs/job-queue';
import { SandboxStatusProvider } from '../sandbox';

class SandboxHealthDto {
  @ApiProperty({ enum: ['bwrap', 'process'] }) isolation!: string;
  @ApiProperty({ nullable: true, type: String }) python!: string | null;
  @ApiProperty({ nullable: true, type: String }) pandas!: string | null;
}

class QueueHealthDto {
  @ApiProperty({ enum: ['in-process', 'redis'] }) kind!: 'in-process' | 'redis';
  @ApiProperty({ description: 'Worker processes taking jobs now' }) workers!: number;
}

export class HealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() env!: string;
  @ApiProperty() version!: string;
  @ApiProperty() inbound_dir!: string;
  @ApiProperty() temp_dir!: string;
  @ApiProperty() log_dir!: string;
  @ApiProperty({ type: SandboxHealthDto }) sandbox!: SandboxHealthDto;
  @ApiProperty({ type: QueueHealthDto }) queue!: QueueHealthDto;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(queueConfig.KEY) private readonly queueCfg: ConfigType<typeof queueConfig>,
    private readonly sandbox: SandboxStatusProvider,
    private readonly queue: JobQueue,
  ) {}

  @Get()
  @ApiOkResponse({ type: HealthResponseDto })
  async health(): Promise<HealthResponseDto> {
    return {
      status: 'ok',
      env: this.app.env,
      version: this.app.version,
      inbound_dir: this.storage.inboundDir,
      temp_dir: this.storage.tempDir,
      log_dir: this.storage.logDir,
      sandbox: this.sandbox.status(),
      queue: {
        kind: this.queueCfg.redisUrl ? 'redis' : 'in-process',
        // A Redis that does not answer must not make /health hang or fail.
        workers: await this.queue.workers().catch(() => 0),
      },
    };
  }
}
