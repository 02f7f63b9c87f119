import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppLogger } from '../common/logging/app-logger.service';
import { RedisConnection } from '../common/redis/redis.module';
import { storageConfig } from '../config/configuration';
import { ExecutionModule } from '../execution/execution.module';
import { SandboxModule } from '../sandbox';
import { SessionsModule } from '../sessions/sessions.module';
import { FileRecipeStore } from './file-recipe-store';
import { RecipeStore } from './recipe-store';
import { RecipesController } from './recipes.controller';
import { RecipesService } from './recipes.service';
import { RedisRecipeStore } from './redis-recipe-store';

/** Saved transforms: save a job's chain of steps, list, delete, apply to another session. */
@Module({
  imports: [ExecutionModule, SandboxModule, SessionsModule],
  controllers: [RecipesController],
  providers: [
    RecipesService,
    // Embedded: one JSON file per recipe under INBOUND_DIR/recipes. Distributed: in Redis.
    {
      provide: RecipeStore,
      inject: [storageConfig.KEY, RedisConnection, AppLogger],
      useFactory: (
        storage: ConfigType<typeof storageConfig>,
        redis: RedisConnection,
        logger: AppLogger,
      ): RecipeStore =>
        redis.enabled
          ? new RedisRecipeStore(redis.client, redis.prefix)
          : new FileRecipeStore(storage.inboundDir, (fields) => logger.warn(fields, 'RecipeStore')),
    },
  ],
})
export class RecipesModule {}
