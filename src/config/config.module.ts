import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { allConfigs } from './configuration';

/** Validated, typed configuration for every module (see environment.ts for the variables). */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: allConfigs })],
  exports: [ConfigModule],
})
export class AppConfigModule {}
