import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { loggingConfig } from '../../config/configuration';
import { AppLogger } from './app-logger.service';

@Global()
@Module({
  providers: [
    {
      provide: AppLogger,
      inject: [loggingConfig.KEY],
      useFactory: (cfg: ConfigType<typeof loggingConfig>) => new AppLogger(cfg),
    },
  ],
  exports: [AppLogger],
})
export class LoggingModule implements OnApplicationShutdown {
  constructor(@Inject(AppLogger) private readonly logger: AppLogger) {}

  async onApplicationShutdown(): Promise<void> {
    await this.logger.close();
  }
}
