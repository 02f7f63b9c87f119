import { Global, Module } from '@nestjs/common';
import { CachedTableRepository } from './cached-table.repository';
import { DuckDbService } from './duckdb.service';

@Global()
@Module({
  providers: [DuckDbService, CachedTableRepository],
  exports: [DuckDbService, CachedTableRepository],
})
export class DuckDbModule {}
