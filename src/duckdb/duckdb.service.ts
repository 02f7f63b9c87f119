import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBResultReader,
  DuckDBTypeId,
  DuckDBValue,
} from '@duckdb/node-api';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { storageConfig } from '../config/configuration';
import { AppLogger } from '../common/logging/app-logger.service';
import { jsonSafeValue, JsonValue } from './json-safe';

export type SqlParams = Record<string, DuckDBValue>;
export type JsonRow = Record<string, JsonValue>;

/** Quotes an identifier (column names come from uploaded files). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal, for the few places DuckDB takes no parameter (file paths). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The one DuckDB database of this process: a scratch file in TEMP_DIR, created at
 * start and removed at shutdown. Each unit of work takes its own connection.
 */
@Injectable()
export class DuckDbService implements OnModuleInit, OnApplicationShutdown {
  private instance?: DuckDBInstance;
  private readonly dbPath: string;

  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    private readonly logger: AppLogger,
  ) {
    this.dbPath = join(storage.tempDir, `cache-${process.pid}-${randomBytes(4).toString('hex')}.duckdb`);
  }

  async onModuleInit(): Promise<void> {
    mkdirSync(this.storage.tempDir, { recursive: true });
    const spill = join(this.storage.tempDir, 'duckdb-spill');
    this.instance = await DuckDBInstance.create(this.dbPath, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      temp_directory: spill,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.instance?.closeSync();
    this.instance = undefined;
    for (const suffix of ['', '.wal']) rmSync(this.dbPath + suffix, { force: true });
    this.logger.log('DuckDB cache closed', 'DuckDbService');
  }

  /** Runs `work` on a fresh connection and always closes it. */
  async withConnection<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (!this.instance) throw new Error('DuckDB is not open');
    const conn = await this.instance.connect();
    try {
      return await work(conn);
    } finally {
      conn.closeSync();
    }
  }

  async run(sql: string, params?: SqlParams): Promise<void> {
    await this.withConnection((c) => c.run(sql, params));
  }

  /** Rows as JSON-safe objects (see json-safe.ts). */
  async queryJson(sql: string, params?: SqlParams): Promise<JsonRow[]> {
    return this.withConnection(async (c) => toJsonRows(await c.runAndReadAll(sql, params)));
  }
}

export function toJsonRows(reader: DuckDBResultReader): JsonRow[] {
  const names = reader.columnNames();
  const typeIds: DuckDBTypeId[] = reader.columnTypes().map((t) => t.typeId);
  return reader.getRowsJson().map((row) => {
    const out: JsonRow = {};
    row.forEach((value, i) => {
      out[names[i]] = jsonSafeValue(typeIds[i], value);
    });
    return out;
  });
}
