import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { previewConfig, storageConfig } from '../config/configuration';
import { rowsWithinBytes, sumSql } from '../duckdb/cell-cut';
import { JsonValue } from '../duckdb/json-safe';
import {
  columnIdent,
  DuckDbService,
  JsonRow,
  quoteIdent,
  quoteLiteral,
} from '../duckdb/duckdb.service';
import { DecodedColumn, DecodedFrame } from '../table-transfer/frame';
import {
  fixedOffsetSeconds,
  jsonValue,
  OutputColumn,
  StoredType,
  XLSX_MAX_CELL_CHARS,
} from './output-columns';
import { frameToParquet } from '../table-transfer/frame-parquet';
import { inputSelect } from './data-source';

export interface StoredOutput {
  table: string;
  columns: OutputColumn[];
  rows: number;
  /** The runner's sentences and the store's own (renamed columns, what each reader gets). */
  warnings: string[];
}

const STORED: Record<DecodedColumn['kind'], StoredType> = {
  i: 'int',
  u: 'uint',
  f: 'float',
  b: 'bool',
  t: 'datetime',
  z: 'datetimetz',
  d: 'timedelta',
  T: 'time',
  s: 'text',
};
const NAME_IN_WARNING_MAX_CHARS = 60;
const WARNINGS_MAX = 100;
export { XLSX_MAX_CELL_CHARS };
const FIRST_EXCEL_NS = -2_203_891_200_000_000_000n;
/** Integers JSON readers (JavaScript) hold exactly: |n| <= 2^53 - 1. */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A name as quoted in a warning (Python's repr style, cut when long). */
export function shown(name: string): string {
  const cut =
    name.length > NAME_IN_WARNING_MAX_CHARS
      ? `${name.slice(0, NAME_IN_WARNING_MAX_CHARS - 1)}…`
      : name;
  return `'${cut.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Duplicate names made unique as pandas' read_csv (C parser) renames a header: `a`, `a.1`,
 * `a.2`, skipping any name the header already holds, so our CSV reads back with the same
 * names a file with those duplicates would get. Names that differ only by case stay: no
 * reader needs them to differ.
 */
export function uniqueNames(names: string[]): { names: string[]; renamed: [string, string][] } {
  const header = [...names];
  const inHeader = new Map<string, number>();
  for (const name of header) inHeader.set(name, (inHeader.get(name) ?? 0) + 1);
  const counts = new Map<string, number>();
  const renamed: [string, string][] = [];
  header.forEach((original, i) => {
    let name = original;
    let count = counts.get(name) ?? 0;
    while (count > 0) {
      counts.set(original, count + 1);
      name = `${original}.${count}`;
      count = (inHeader.get(name) ?? 0) > 0 ? count + 1 : (counts.get(name) ?? 0);
    }
    if (name !== original) {
      inHeader.set(original, (inHeader.get(original) ?? 1) - 1);
      inHeader.set(name, (inHeader.get(name) ?? 0) + 1);
      header[i] = name;
      renamed.push([original, name]);
    }
    counts.set(name, count + 1);
  });
  return { names: header, renamed };
}

/**
 * Jobs' outputs in the DuckDB cache, under server-generated table and column names
 * (`c0`, `c1`, ...): no name from the output ever reaches SQL. The validated frame is
 * written as a Parquet file (columns copied nearly as they are) that DuckDB loads in one
 * CREATE TABLE ... AS SELECT; one aggregate pass then learns what pandas' spelling of
 * the whole column depends on (see output-columns.ts).
 */
@Injectable()
export class OutputStore {
  constructor(
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
    @Inject(previewConfig.KEY) private readonly bounds: ConfigType<typeof previewConfig>,
    private readonly duckdb: DuckDbService,
  ) {}

  /** Output file of each view, by view name. */
  private readonly files = new Map<string, string>();
  /** Views this process has (or is creating), by name. */
  private readonly attached = new Map<string, Promise<void>>();

  /**
   * Stores `frame` as `<dir>/outputs/<table>.parquet` under a view named `table` (rows in
   * order as `rowid`); `dir` is the session's folder, removed with it. The caller drops
   * the view (`drop`) when the job goes, or the session's end does.
   */
  async save(frame: DecodedFrame, dir: string): Promise<StoredOutput> {
    const table = `job_${randomBytes(12).toString('hex')}`;
    const warnings = [...frame.warnings];
    const { names, renamed } = uniqueNames(frame.columns.map((c) => c.name));
    if (renamed.length > 0) {
      const list = renamed
        .slice(0, 10)
        .map(([from, to]) => `${shown(from)} → ${shown(to)}`)
        .join(', ');
      const more = renamed.length > 10 ? ` and ${renamed.length - 10} more` : '';
      warnings.push(
        `Columns with the same name were renamed as pandas' read_csv renames them: ${list}${more}.`,
      );
    }
    const columns: OutputColumn[] = frame.columns.map((c, i) => ({
      name: names[i],
      dtype: c.dtype ?? '',
      stored: c.kind === 's' && c.as === 'date' ? 'date' : STORED[c.kind],
      ...(c.kind === 'z' ? { tz: c.tz ?? 'UTC' } : {}),
    }));
    await this.checkZones(columns, warnings);

    const file = this.fileOf(table, dir);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    this.files.set(table, file);
    try {
      const parts = frameToParquet(frame, columnIdent);
      const handle = await open(file, 'w', 0o600);
      try {
        await handle.writev(parts);
      } finally {
        await handle.close();
      }
      // A view, not a table: DuckDB's in-memory tables held every output in RAM (measured in
      // bench/bounded-results.bench.ts); the file costs memory only while it is read.
      await this.createView(table, file, columns);
      this.attached.set(table, Promise.resolve());
      await this.learnSpelling(table, columns, warnings);
    } catch (error) {
      await this.drop(table);
      throw error;
    }
    if (warnings.length > WARNINGS_MAX) {
      const left = warnings.length - (WARNINGS_MAX - 1);
      warnings.splice(WARNINGS_MAX - 1, left, `${left} more notes like these were left out.`);
    }
    return { table, columns, rows: frame.rows, warnings };
  }

  /**
   * Gives this process the view `table` of a stored output (once per process; idempotent),
   * from its job record's `outputTable` and `outputSchema` and the session's folder `dir`:
   * outputs outlive the process that stored them, and any process sharing INBOUND_DIR can
   * read them. Call before reading an output (downloads).
   */
  attach(table: string, columns: OutputColumn[], dir: string): Promise<void> {
    let attaching = this.attached.get(table);
    if (!attaching) {
      const file = this.fileOf(table, dir);
      this.files.set(table, file);
      attaching = this.createView(table, file, columns);
      this.attached.set(table, attaching);
      attaching.catch(() => {
        if (this.attached.get(table) === attaching) this.attached.delete(table);
      });
    }
    return attaching;
  }

  /**
   * The view (named `<table>_in`) that reads an attached output as a step's input: its
   * columns in the DuckDB types an upload holds them in (data-source.ts). Idempotent.
   */
  async attachInput(table: string, columns: OutputColumn[], dir: string): Promise<string> {
    await this.attach(table, columns, dir);
    const input = `${table}_in`;
    let attaching = this.attached.get(input);
    if (!attaching) {
      attaching = this.duckdb.run(
        `CREATE OR REPLACE VIEW ${quoteIdent(input)} AS SELECT ${inputSelect(columns)} FROM ${quoteIdent(table)}`,
      );
      this.attached.set(input, attaching);
      attaching.catch(() => {
        if (this.attached.get(input) === attaching) this.attached.delete(input);
      });
    }
    await attaching;
    return input;
  }

  /** The view over an output's file: `rowid` (file order), then c0.. as stored. */
  private async createView(table: string, file: string, columns: OutputColumn[]): Promise<void> {
    const select = columns
      .map((c, i) =>
        c.stored === 'date'
          ? `TRY_CAST(${columnIdent(i)} AS DATE) AS ${columnIdent(i)}`
          : columnIdent(i),
      )
      .join(', ');
    await this.duckdb.run(
      `CREATE OR REPLACE VIEW ${quoteIdent(table)} AS SELECT file_row_number AS rowid, ${select} ` +
        `FROM read_parquet(${quoteLiteral(file)}, file_row_number = true)`,
    );
  }

  /**
   * The first `limit` rows as the preview shows them: the JSON download's values, text
   * longer than PREVIEW_MAX_CELL_CHARS cut in SQL (cell-cut.ts), and no more rows than fit
   * in PREVIEW_MAX_BYTES of JSON (possibly none); `warnings` says when rows were left out.
   */
  async preview(
    table: string,
    columns: OutputColumn[],
    limit: number,
  ): Promise<{ rows: JsonRow[]; warnings: string[] }> {
    const cells = columns.map(
      (c, i) => `${jsonValue(c, columnIdent(i), this.bounds.maxCellChars)} AS j${i}`,
    );
    const sizes = columns.map(
      (c, i) => `strlen(${jsonValue(c, columnIdent(i), this.bounds.maxCellChars)})`,
    );
    const from = quoteIdent(table);
    const rows = await this.duckdb.withConnection(async (conn) => {
      const measured = await conn.runAndReadAll(
        `SELECT rowid, ${sumSql(sizes)} FROM ${from} ORDER BY rowid LIMIT $limit`,
        { limit },
      );
      const sized = measured.getRowsJson().map((r) => [Number(r[0]), Number(r[1])]);
      const n = rowsWithinBytes(
        sized.map((r) => r[1]),
        this.bounds.maxBytes,
        false,
      );
      if (n === 0) return [];
      // File order without ORDER BY (DuckDB keeps insertion order): a sort cannot hold a
      // row of thousands of text columns (tuple wider than a block).
      const reader = await conn.runAndReadAll(
        `SELECT ${cells.join(', ')} FROM ${from} WHERE rowid BETWEEN ${sized[0][0]} AND ${sized[n - 1][0]}`,
      );
      return reader.getRows();
    });
    const shortened = rows.length < limit && rows.length < (await this.count(table, limit));
    return {
      warnings: shortened ? [previewShortened(rows.length, this.bounds.maxBytes)] : [],
      rows: rows.map((row) => {
        // No prototype: a column named __proto__ is a key like any other.
        const out = Object.create(null) as JsonRow;
        row.forEach((text, i) => {
          out[columns[i].name] = JSON.parse(text as string) as JsonValue;
        });
        return out;
      }),
    };
  }

  /** Rows of `table`, counted up to `atMost`. */
  private async count(table: string, atMost: number): Promise<number> {
    const [row] = await this.duckdb.queryJson(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${quoteIdent(table)} LIMIT $atMost)`,
      { atMost },
    );
    return Number(row.n);
  }

  /**
   * Removes a stored output: its view and (when this process knows it: it stored or
   * attached it) its file; the session's folder, which holds the file, goes with the session.
   */
  async drop(table: string): Promise<void> {
    this.attached.delete(table);
    this.attached.delete(`${table}_in`);
    await this.duckdb.run(`DROP VIEW IF EXISTS ${quoteIdent(`${table}_in`)}`);
    await this.duckdb.run(`DROP VIEW IF EXISTS ${quoteIdent(table)}`);
    const file = this.files.get(table);
    this.files.delete(table);
    if (file) await rm(file, { force: true });
  }

  private fileOf(table: string, dir: string): string {
    return join(dir, 'outputs', `${table}.parquet`);
  }

  /** A zone DuckDB's ICU does not know would fail every read: such columns are shown in UTC. */
  private async checkZones(columns: OutputColumn[], warnings: string[]): Promise<void> {
    const known = new Map<string, boolean>();
    for (const column of columns) {
      const tz = column.tz;
      if (tz === undefined || fixedOffsetSeconds(tz) !== null) continue;
      if (!known.has(tz)) {
        const ok = await this.duckdb
          .run(`SELECT timezone(${quoteLiteral(tz)}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`)
          .then(
            () => true,
            () => false,
          );
        known.set(tz, ok);
      }
      if (!known.get(tz)) {
        warnings.push(
          `Column ${shown(column.name)} has the time zone ${shown(tz)}, which this server does not know; its values are shown in UTC.`,
        );
        column.tz = 'UTC';
      }
    }
  }

  /**
   * One pass over the stored columns for what pandas' spelling depends on (a datetime
   * column of dates only, its fraction digits, durations of whole days) and for what some
   * readers cannot hold, which the warnings then say.
   */
  private async learnSpelling(
    table: string,
    columns: OutputColumn[],
    warnings: string[],
  ): Promise<void> {
    const aggregates: string[] = [];
    const readers: ((row: Record<string, unknown>) => void)[] = [];
    const ask = (sql: string, use: (value: unknown) => void): void => {
      const key = `a${aggregates.length}`;
      aggregates.push(`${sql} AS ${key}`);
      readers.push((row) => use(row[key]));
    };
    const note = (i: number, text: (name: string) => string) => (value: unknown) => {
      if (value === true) warnings.push(text(shown(columns[i].name)));
    };
    columns.forEach((column, i) => {
      const c = columnIdent(i);
      switch (column.stored) {
        // Plain min/max compared here: OR and BETWEEN inside thousands of aggregates made
        // DuckDB's planning superlinear (2,500 columns: 7.5 s against 0.2 s; issue 9).
        case 'int':
          ask(`min(${c})`, (v) =>
            note(i, bigIntegers)(v != null && BigInt(v as bigint) < -MAX_SAFE),
          );
          ask(`max(${c})`, (v) =>
            note(i, bigIntegers)(v != null && BigInt(v as bigint) > MAX_SAFE),
          );
          break;
        case 'uint':
          ask(`max(${c})`, (v) =>
            note(i, bigIntegers)(v != null && BigInt(v as bigint) > MAX_SAFE),
          );
          break;
        case 'datetime':
          ask(`bool_and(${c} % 86400000000000 = 0)`, (v) => {
            column.datesOnly = v !== false;
          });
          ask(
            `CASE WHEN bool_or(${c} % 1000 <> 0) THEN 9 WHEN bool_or(${c} % 1000000 <> 0) THEN 6 WHEN bool_or(${c} % 1000000000 <> 0) THEN 3 ELSE 0 END`,
            (v) => {
              column.fractionDigits = Number(v);
              if (column.fractionDigits > 3) warnings.push(excelMilliseconds(shown(column.name)));
            },
          );
          ask(`bool_or(${c} < ${FIRST_EXCEL_NS})`, note(i, excelEarly));
          break;
        case 'date':
          ask(`bool_or(${c} < DATE '1900-03-01')`, note(i, excelEarly));
          break;
        case 'time':
          ask(`bool_or(${c} % 1000000 <> 0)`, note(i, excelMilliseconds));
          break;
        case 'timedelta':
          ask(`bool_and(${c} % 86400000000000 = 0)`, (v) => {
            column.wholeDays = v !== false;
          });
          warnings.push(
            `Column ${shown(column.name)} holds durations: the JSON download and the preview give them in ISO 8601 (P1DT2H3M4S), the Parquet and XLSX downloads as text as pandas writes them (1 days 02:03:04), since neither has a type that holds them exactly.`,
          );
          break;
        case 'datetimetz':
          warnings.push(
            `Column ${shown(column.name)} is zone-aware (${column.tz}): the Parquet download holds its UTC instants (Parquet keeps no zone name) and the XLSX download its local times as text with their offset (Excel has no time zones).`,
          );
          break;
        case 'text':
          ask(`max(length(${c}))`, (v) => {
            const longest = v == null ? 0 : Number(v);
            note(i, xlsxCut)(longest > XLSX_MAX_CELL_CHARS);
            if (longest > this.bounds.maxCellChars)
              warnings.push(previewCut(shown(column.name), this.bounds.maxCellChars));
          });
          break;
        default:
          break;
      }
    });
    if (aggregates.length === 0) return;
    const [row] = await this.duckdb.withConnection(async (conn) =>
      (
        await conn.runAndReadAll(`SELECT ${aggregates.join(', ')} FROM ${quoteIdent(table)}`)
      ).getRowObjects(),
    );
    for (const read of readers) read(row);
  }
}

const bigIntegers = (name: string): string =>
  `Column ${name} holds integers beyond 2^53: the JSON download and the preview give those as strings, and the XLSX download as text, so that no digit is lost.`;
const excelMilliseconds = (name: string): string =>
  `Column ${name} has sub-millisecond digits, which the XLSX download cannot hold (Excel counts to the millisecond).`;
const excelEarly = (name: string): string =>
  `Column ${name} has dates before 1900-03-01, which Excel cannot hold; the XLSX download gives those as text.`;
const xlsxCut = (name: string): string =>
  `Column ${name} has values longer than ${XLSX_MAX_CELL_CHARS.toLocaleString('en-US')} characters, which an XLSX cell cannot hold; the XLSX download cuts them.`;
const previewCut = (name: string, chars: number): string =>
  `Column ${name} has values longer than ${chars.toLocaleString('en-US')} characters: the preview cuts them (saying how long each is); downloads hold them whole.`;
const previewShortened = (rows: number, bytes: number): string => {
  const shown =
    rows === 0
      ? 'The preview shows no rows: the first alone'
      : `The preview shows the first ${rows} rows only: more`;
  return `${shown} would pass its limit of ${bytes.toLocaleString('en-US')} bytes (PREVIEW_MAX_BYTES); downloads hold every row.`;
};
