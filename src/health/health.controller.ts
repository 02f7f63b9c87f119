import { Controller, Get, Inject } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { appConfig, storageConfig } from '../config/configuration';
import { SandboxStatusProvider } from '../sandbox';

class SandboxHealthDto {
  @ApiProperty({ enum: ['bwrap', 'process'] }) isolation!: string;
  @ApiProperty({ nullable: true, type: String }) python!: string | null;
  @ApiProperty({ nullable: true, type: String }) pandas!: string | null;
}

export class HealthResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() env!: string;
  @ApiProperty() version!: string;
  @ApiProperty() inbound_dir!: string;
  @ApiProperty() temp_dir!: string;
  @ApiProperty() log_dir!: string;
  @ApiProperty({ type: SandboxHealthDto }) sandbox!: SandboxHealthDto;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly sandbox: SandboxStatusProvider,
  ) {}

  @Get()
  @ApiOkResponse({ type: HealthResponseDto })
  health(): HealthResponseDto {
    return {
      status: 'ok',
      env: this.app.env,
      version: this.app.version,
      inbound_dir: this.storage.inboundDir,
      temp_dir: this.storage.tempDir,
      log_dir: this.storage.logDir,
      sandbox: this.sandbox.status(),
    };
  }
}
