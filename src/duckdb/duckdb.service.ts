import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBResultReader,
  DuckDBTypeId,
  DuckDBValue,
} from '@duckdb/node-api';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { mkdirSync, rmSync } from 'node:fs';
import { duckdbConfig, storageConfig } from '../config/configuration';
import { AppLogger } from '../common/logging/app-logger.service';
import { makeProcessScopedDir } from '../common/process-scoped-dir';
import { recordOf } from '../common/json/record-of';
import { jsonSafeValue, JsonValue } from './json-safe';

/** Spill folders in TEMP_DIR; one per process, named for it (see process-scoped-dir.ts). */
export const SPILL_DIR_PREFIX = 'duckdb-spill-';

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
 * The one DuckDB database of this process. It lives in memory (loading a CSV is about
 * twice as fast as into a file) up to DUCKDB_MEMORY_LIMIT_MB and spills beyond that to
 * a folder in TEMP_DIR, removed at shutdown. Each unit of work takes its own connection.
 */
/** How long a shutdown waits for interrupted queries to return before closing anyway. */
const INTERRUPT_WAIT_MS = 5000;

@Injectable()
export class DuckDbService implements OnModuleInit, OnApplicationShutdown {
  private instance?: DuckDBInstance;
  private spillDir?: string;
  private readonly open = new Set<DuckDBConnection>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(duckdbConfig.KEY) private readonly cfg: ConfigType<typeof duckdbConfig>,
    private readonly logger: AppLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    mkdirSync(this.storage.tempDir, { recursive: true });
    this.spillDir = makeProcessScopedDir(this.storage.tempDir, SPILL_DIR_PREFIX);
    this.instance = await DuckDBInstance.create(':memory:', {
      // Nothing may be downloaded at run time (no network here, and no surprises in production).
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      temp_directory: this.spillDir,
      memory_limit: `${this.cfg.memoryLimitMb}MB`,
      // The optimizer's common-subexpression pass grows faster than linearly in a select's
      // expressions: 1,000 columns of per-column SQL took 13 s instead of 1 s (issue 9).
      disabled_optimizers: 'common_subexpressions',
      ...(this.cfg.threads > 0 ? { threads: String(this.cfg.threads) } : {}),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // closeSync() waits for running queries on the event loop: a preview of a huge table
    // would hold the process past every shutdown deadline. Interrupt them first.
    for (const conn of this.open) conn.interrupt();
    await Promise.race([
      Promise.allSettled(this.inFlight),
      new Promise((resolve) => setTimeout(resolve, INTERRUPT_WAIT_MS).unref()),
    ]);
    this.instance?.closeSync();
    this.instance = undefined;
    if (this.spillDir) rmSync(this.spillDir, { recursive: true, force: true });
    this.logger.log('DuckDB cache closed', 'DuckDbService');
  }

  /** Runs `work` on a fresh connection and always closes it. */
  async withConnection<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (!this.instance) throw new Error('DuckDB is not open');
    const conn = await this.instance.connect();
    this.open.add(conn);
    const running = work(conn);
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
      this.open.delete(conn);
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

/** Rows as JSON-safe null-prototype objects keyed by `names` (default: the result's own). */
export function toJsonRows(reader: DuckDBResultReader, names = reader.columnNames()): JsonRow[] {
  return toJsonValues(reader).map((row) => recordOf(names, row));
}

/** Rows as arrays of JSON-safe values (see json-safe.ts), in column order. */
export function toJsonValues(reader: DuckDBResultReader): JsonValue[][] {
  const typeIds: DuckDBTypeId[] = reader.columnTypes().map((t) => t.typeId);
  return reader.getRowsJson().map((row) => row.map((value, i) => jsonSafeValue(typeIds[i], value)));
}

/**
 * The SQL name of a cached table's column at `index`. Tables name their columns by
 * position so that no name from a file (`rowid`, `__proto__`, case variants) reaches SQL;
 * the names people see live in the session's metadata.
 */
export function columnIdent(index: number): string {
  return `c${index}`;
}
