import { DuckDBTypeId } from '@duckdb/node-api';
import { Inject, Injectable } from '@nestjs/common';
import { rename } from 'node:fs/promises';
import { ConfigType } from '@nestjs/config';
import { previewConfig } from '../config/configuration';
import { cutTextSql, rowsWithinBytes, sumSql } from './cell-cut';
import {
  columnIdent,
  DuckDbService,
  JsonRow,
  quoteIdent,
  quoteLiteral,
  toJsonRows,
} from './duckdb.service';
import { pandasColumn } from './pandas-columns';

/** What a non-text cell counts for in a page's byte budget (its JSON is at most this long). */
const OTHER_CELL_BYTES = 32;

/** A cached table's columns as pandas names and dtypes them, by position (column i is `c<i>`). */
export interface TableSchema {
  columns: readonly string[];
  dtypes?: readonly string[];
}

/** A column to profile: its position and pandas dtype (read as `pandasColumn` says). */
export interface ProfiledColumn {
  index: number;
  dtype: string;
  /** Also learn min and max (as text). */
  range: boolean;
  /** Also learn the longest value's length. */
  text: boolean;
}

export interface ColumnStats {
  nonNull: number;
  distinct: number;
  min?: string | null;
  max?: string | null;
  maxLength?: number | null;
}

/** Parquet key under which a persisted table records its columns' DuckDB types (a JSON array). */
const TYPES_KEY = 'acb_column_types';
/**
 * Columns per Parquet file of a persisted table: DuckDB's writer pins a 256 KiB block per
 * column while it writes, so 3,000 columns already pass a 512 MB memory limit (measured);
 * wider tables are split across files by column and read back side by side.
 */
const PART_COLUMNS = 256;
/** Types a Parquet file gives back exactly as they are; others are stored another way. */
const PARQUET_EXACT = new Set([
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'FLOAT',
  'DOUBLE',
  'VARCHAR',
  'DATE',
  'TIME',
  'TIMESTAMP',
  'TIMESTAMP_NS',
  'TIMESTAMP WITH TIME ZONE',
]);
const SQL_TYPE = /^[A-Z][A-Z0-9_ ]*(\([0-9, ]+\))?$/;
/** How a persisted table is written (see persist; measured in its docstring). */
const PARQUET_OPTIONS = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${122_880}`;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));

/**
 * The SQL the features need over cached tables (session uploads, job output views):
 * table names are server-made and columns are addressed by position, so no user text
 * reaches SQL. Rows are in file order (`rowid`).
 */
@Injectable()
export class CachedTableRepository {
  constructor(
    @Inject(previewConfig.KEY) private readonly preview: ConfigType<typeof previewConfig>,
    private readonly duckdb: DuckDbService,
  ) {}

  /** DuckDB type of each column (`BIGINT`, `VARCHAR`, ...), by position. */
  async describe(table: string): Promise<string[]> {
    const described = await this.duckdb.queryJson(`DESCRIBE ${quoteIdent(table)}`);
    return described.map((r) => text(r.column_type));
  }

  /**
   * Up to `limit` rows from `offset`, JSON-safe, as null-prototype objects keyed by
   * `schema.columns` (read as their dtypes say); without `schema`, by the table's own
   * names. Text longer than PREVIEW_MAX_CELL_CHARS is cut in SQL (see cell-cut.ts); with
   * `maxBytes`, rows stop once their text passes it (the first row is always given).
   */
  async page(
    table: string,
    offset: number,
    limit: number,
    schema?: TableSchema,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<JsonRow[]> {
    const select = schema
      ? schema.columns
          .map((_, i) => `${pandasColumn(i, schema.dtypes?.[i] ?? '')} AS ${columnIdent(i)}`)
          .join(', ')
      : '*';
    const from = `FROM ${quoteIdent(table)}`;
    return this.duckdb.withConnection(async (conn) => {
      const probe = await conn.runAndReadAll(`SELECT ${select} ${from} LIMIT 0`);
      const names = probe.columnNames();
      const texts = probe.columnTypes().map((t) => t.typeId === DuckDBTypeId.VARCHAR);
      const cells = names.map((name, i) => {
        const c = quoteIdent(name);
        return texts[i] ? `${cutTextSql(c, this.preview.maxCellChars)} AS ${c}` : c;
      });
      const sizes = names.map((name, i) =>
        texts[i]
          ? `COALESCE(strlen(${cutTextSql(quoteIdent(name), this.preview.maxCellChars)}), 0)`
          : `${OTHER_CELL_BYTES}`,
      );
      const rows = `(SELECT ${select}, rowid AS __order ${from})`;
      const measured = await conn.runAndReadAll(
        `SELECT __order, ${sumSql(sizes)} AS __bytes FROM ${rows} ORDER BY __order LIMIT $limit OFFSET $offset`,
        { limit, offset },
      );
      const sized = measured.getRowsJson().map((r) => [Number(r[0]), Number(r[1])]);
      const n = rowsWithinBytes(
        sized.map((r) => r[1]),
        maxBytes,
        true,
      );
      const range = n === 0 ? 'false' : `__order BETWEEN ${sized[0][0]} AND ${sized[n - 1][0]}`;
      // File order without ORDER BY (DuckDB keeps insertion order): a sort cannot hold a
      // row of thousands of text columns (tuple wider than a block).
      const reader = await conn.runAndReadAll(
        `SELECT ${cells.join(', ')} FROM ${rows} WHERE ${range}`,
      );
      return schema ? toJsonRows(reader, [...schema.columns]) : toJsonRows(reader);
    });
  }

  /**
   * Drops a cached table or view (of this process; the files stay); one already gone is fine.
   */
  async drop(table: string): Promise<void> {
    const name = quoteIdent(table);
    // DROP VIEW fails on a table of that name (and DROP TABLE on a view).
    await this.duckdb
      .run(`DROP VIEW IF EXISTS ${name}`)
      .catch(() => this.duckdb.run(`DROP TABLE IF EXISTS ${name}`));
  }

  /**
   * Writes the in-memory table `table` (columns c0.., rows in file order) to the Parquet
   * file `file` in row order (more than PART_COLUMNS columns: one file per group, see
   * partFile), so the rows outlast the process. With `replace`, the table then gives its
   * place to a view of the same name over the file (see `attach`); without, it stays as
   * this process's cache. Each file is written under a temporary name and renamed, `file`
   * last, so a file at `file` is whole. Types Parquet does not give back exactly are stored
   * another way and read back as they were (INTERVAL as microseconds: Parquet's interval
   * keeps milliseconds only; others as text); the types are recorded in the file. The
   * caller removes the files when this fails.
   */
  async persist(table: string, file: string, replace = true): Promise<void> {
    const types = await this.describe(table);
    const meta = quoteLiteral(JSON.stringify(types));
    const parts = Math.ceil(types.length / PART_COLUMNS);
    for (let part = parts - 1; part >= 0; part--) {
      const stored = types.slice(part * PART_COLUMNS, (part + 1) * PART_COLUMNS).map((type, j) => {
        const c = columnIdent(part * PART_COLUMNS + j);
        if (type === 'INTERVAL') return `epoch_us(${c}) AS ${c}`;
        return PARQUET_EXACT.has(type) ? c : `CAST(${c} AS VARCHAR) AS ${c}`;
      });
      const target = partFile(file, part);
      // A plain scan keeps insertion order (preserve_insertion_order, DuckDB's default).
      await this.duckdb.run(
        `COPY (SELECT ${stored.join(', ')} FROM ${quoteIdent(table)}) ` +
          `TO ${quoteLiteral(`${target}.tmp`)} (${PARQUET_OPTIONS}, KV_METADATA {${TYPES_KEY}: ${meta}})`,
      );
      await rename(`${target}.tmp`, target);
    }
    if (!replace) return;
    await this.duckdb.run(`DROP TABLE ${quoteIdent(table)}`);
    await this.attach(table, file);
  }

  /**
   * Creates (or replaces) in this process the view `table` over the file(s) written by
   * `persist`: columns c0.. with their types as they were, then `rowid`, the row's place
   * in the file (0-based), last so that positional readers see c0.. first.
   */
  async attach(table: string, file: string): Promise<void> {
    const [meta] = await this.duckdb.queryJson(
      `SELECT decode(value) AS types FROM parquet_kv_metadata(${quoteLiteral(file)}) ` +
        `WHERE decode(key) = ${quoteLiteral(TYPES_KEY)}`,
    );
    if (!meta) throw new Error(`${file} is not a persisted table (no column types)`);
    const parsed = JSON.parse(text(meta.types)) as unknown[];
    const types = Array.isArray(parsed)
      ? parsed.filter((t): t is string => typeof t === 'string' && SQL_TYPE.test(t))
      : [];
    if (types.length !== parsed.length || types.length === 0)
      throw new Error(`${file} records column types this server cannot read`);
    const columns = types.map((type, i) => {
      const c = `p${Math.floor(i / PART_COLUMNS)}.${columnIdent(i)}`;
      if (type === 'INTERVAL') return `to_microseconds(${c}) AS ${columnIdent(i)}`;
      return PARQUET_EXACT.has(type)
        ? `${c} AS ${columnIdent(i)}`
        : `CAST(${c} AS ${type}) AS ${columnIdent(i)}`;
    });
    const parts = Array.from({ length: Math.ceil(types.length / PART_COLUMNS) }, (_, part) =>
      part === 0
        ? `read_parquet(${quoteLiteral(file)}, file_row_number = true) p0`
        : `read_parquet(${quoteLiteral(partFile(file, part))}) p${part}`,
    );
    await this.duckdb.run(
      `CREATE OR REPLACE VIEW ${quoteIdent(table)} AS SELECT ${[...columns, 'p0.file_row_number AS rowid'].join(', ')} ` +
        `FROM ${parts.join(' POSITIONAL JOIN ')}`,
    );
  }

  /**
   * Counts over all rows, one pass: rows, and per column non-null values, distinct values
   * (estimated by HyperLogLog when `approxDistinct`), and min/max or longest length when asked.
   */
  async profile(
    table: string,
    columns: readonly ProfiledColumn[],
    approxDistinct: boolean,
  ): Promise<{ rows: number; columns: ColumnStats[] }> {
    const select = ['count(*) AS n'];
    columns.forEach((col, i) => {
      const c = pandasColumn(col.index, col.dtype);
      select.push(
        `count(${c}) AS nn${i}`,
        approxDistinct ? `approx_count_distinct(${c}) AS d${i}` : `count(DISTINCT ${c}) AS d${i}`,
      );
      if (col.range) {
        select.push(`CAST(min(${c}) AS VARCHAR) AS mn${i}`, `CAST(max(${c}) AS VARCHAR) AS mx${i}`);
      }
      if (col.text) select.push(`max(length(${c})) AS len${i}`);
    });
    const [stats] = await this.duckdb.queryJson(
      `SELECT ${select.join(', ')} FROM ${quoteIdent(table)}`,
    );
    return {
      rows: num(stats.n),
      columns: columns.map((col, i) => ({
        nonNull: num(stats[`nn${i}`]),
        distinct: num(stats[`d${i}`]),
        ...(col.range ? { min: str(stats[`mn${i}`]), max: str(stats[`mx${i}`]) } : {}),
        ...(col.text ? { maxLength: stats[`len${i}`] == null ? null : num(stats[`len${i}`]) } : {}),
      })),
    };
  }

  /**
   * The `k` most common non-null values of each column (as text), most frequent first,
   * ties by value; answered by position in `columns`.
   */
  async topValues(
    table: string,
    columns: readonly Pick<ProfiledColumn, 'index' | 'dtype'>[],
    k: number,
  ): Promise<{ value: string; count: number }[][]> {
    if (columns.length === 0) return [];
    const parts = columns.map((col, i) => {
      const c = pandasColumn(col.index, col.dtype);
      return (
        `(SELECT ${i} AS col, CAST(${c} AS VARCHAR) AS value, count(*) AS n FROM ${quoteIdent(table)} ` +
        `WHERE ${c} IS NOT NULL GROUP BY 2 ORDER BY n DESC, value LIMIT $k)`
      );
    });
    const rows = await this.duckdb.queryJson(parts.join(' UNION ALL '), { k });
    const lists = columns.map(() => [] as { value: string; count: number }[]);
    for (const r of rows) lists[num(r.col)].push({ value: text(r.value), count: num(r.n) });
    // UNION ALL keeps no order across parts; each list is re-sorted by frequency.
    for (const list of lists)
      list.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    return lists;
  }
}

/** The file of a persisted table's `part`-th group of columns: `file` itself, then `<file>.<part>`. */
function partFile(file: string, part: number): string {
  return part === 0 ? file : `${file}.${part}`;
}
