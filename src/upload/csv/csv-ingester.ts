import { Injectable } from '@nestjs/common';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import { columnIdent, DuckDbService, quoteIdent, quoteLiteral } from '../../duckdb/duckdb.service';
import { makeUniqueColumnNames } from '../column-names';
import { PANDAS_NA_VALUES } from '../pandas-na-values';
import { IngestedTable, IngestOptions, TableIngester } from '../table-ingester';
import { firstTooWideRecord, HeadAnalysis, LineEnding } from './csv-dialect';
import {
  applyPandasTypes,
  ColumnGuess,
  DATE_FORMAT,
  guessColumnTypes,
  TIMESTAMP_FORMAT,
  typingWarnings,
} from './pandas-typing';
import { CsvLineStats } from './csv-lines';
import {
  analyseHeadOffThread,
  csvLineStatsOffThread,
  prepareCsvTextOffThread,
} from './csv-worker-pool';

const HEAD_BYTES = 64 * 1024;
const MAX_HEAD_BYTES = 8 * 1024 * 1024;
const MIN_HEAD_LINES = 4;
const NOT_TEXT = 'This is not a CSV text file: it contains binary data';
/** A share of control characters above this means the file is not text. */
const MAX_CONTROL_CHAR_RATIO = 0.01;
/**
 * DuckDB's default line limit (2 MB) is too small for some real exports with long text
 * cells, but a large limit enlarges every read buffer and halves load speed, so it is
 * raised only for the files that need it.
 */
const MAX_LINE_BYTES = 32 * 1024 * 1024;
/** DuckDB's default max_line_size. */
const DEFAULT_MAX_LINE_BYTES = 2 * 1024 * 1024;
/**
 * Most columns a CSV may have: Excel's own limit. Wider files cost DuckDB seconds per
 * thousand columns to read (100,000 columns: 21 s, then a failure) and no one can use them.
 */
export const MAX_CSV_COLUMNS = 16_384;
const MB = 1024 * 1024;

const BINARY_SIGNATURES: { magic: number[]; what: string }[] = [
  {
    magic: [0x50, 0x4b, 0x03, 0x04],
    what: 'a ZIP archive (an Excel .xlsx file? upload it with the .xlsx extension)',
  },
  {
    magic: [0xd0, 0xcf, 0x11, 0xe0],
    what: 'a legacy Excel/Office file (save it as .xlsx or .csv)',
  },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { magic: [0x1f, 0x8b], what: 'a gzip archive' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
];

interface ReadOptions {
  header: boolean;
  /** DuckDB type of each column while reading (see pandas-typing.ts). */
  columns: ColumnGuess[];
  longLines: boolean;
  nullPadding: boolean;
  /** Off for files DuckDB's strict RFC 4180 parser rejects but pandas reads. */
  strict: boolean;
}

/** From this many columns a file counts as wide (see readCsvSql). */
const WIDE_COLUMNS = 64;

/** Reads that fail on a value not fitting its column's guessed type, before all are read as text. */
const MAX_TYPE_RETRIES = 8;

/** Loads CSV text into DuckDB with DuckDB's own reader; JavaScript only checks the head. */
@Injectable()
export class CsvIngester implements TableIngester {
  constructor(private readonly duckdb: DuckDbService) {}

  async ingest(filePath: string, table: string, options: IngestOptions): Promise<IngestedTable> {
    const raw = await readHead(filePath);
    if (raw.length === 0) throw new UploadRejected('The file is empty');
    rejectBinary(raw);
    const text = await prepareCsvTextOffThread(filePath, dirname(filePath));
    const source = text.path;
    const lines = await csvLineStatsOffThread(source);
    if (lines.longestBytes > MAX_LINE_BYTES) throw lineTooLong(lines);
    const head = source === filePath ? raw : await readHead(source);
    const decoded = new TextDecoder().decode(head);
    checkLooksLikeText(decoded);
    if (decoded.trim() === '') throw new UploadRejected('The file is empty');
    const warnings = [...text.warnings];
    const dialect = await analyseHeadOffThread(decoded, {
      wholeFile: head.length === (await stat(source)).size,
      delimiter: text.sepLine ?? undefined,
    });
    const width = dialect.records[0]?.length ?? 0;
    if (width > MAX_CSV_COLUMNS) {
      throw new UploadRejected(
        `The file has ${width.toLocaleString('en-US')} columns; at most ` +
          `${MAX_CSV_COLUMNS.toLocaleString('en-US')} are accepted. Remove unused columns or split the file.`,
      );
    }
    const used = await this.load(source, table, dialect, options.header, lines);

    let typing = await this.duckdb.withConnection((conn) =>
      applyPandasTypes(conn, table, used.columns),
    );
    if (typing.rereadAsText.length > 0) {
      for (const i of typing.rereadAsText) used.columns[i] = TEXT;
      await this.readTable(source, table, dialect, used);
      typing = await this.duckdb.withConnection((conn) =>
        applyPandasTypes(conn, table, used.columns),
      );
    }
    const header = options.header
      ? Array.from({ length: used.columns.length }, (_, i) =>
          asDuckDbReads(dialect.records[0]?.[i]),
        )
      : new Array<null>(used.columns.length).fill(null);
    const { names, renamed } = makeUniqueColumnNames(header, options.header);
    warnings.push(...typingWarnings(typing.notes, names));
    return {
      columns: names.map((name, i) => ({ name, dtype: typing.dtypes[i] })),
      rowCount: typing.rows,
      renamedColumns: renamed,
      warnings,
      textBytes: (await stat(source)).size,
    };
  }

  /** Tries the fast strict read first, then the careful fallbacks a person would want. */
  private async load(
    path: string,
    table: string,
    head: HeadAnalysis,
    header: boolean,
    lines: CsvLineStats,
  ): Promise<ReadOptions> {
    const width = head.records[0]?.length ?? 0;
    if (width === 0) throw new UploadRejected('The file has no columns');
    // DuckDB finds such rows itself, except in a one-column file, where it keeps the first field.
    const tooWide = firstTooWideRecord(head);
    if (tooWide) throw tooManyFields(tooWide.line, tooWide.fields, tooWide.expected);
    const attempt: ReadOptions = {
      header,
      // A one-column file is read as text: its empty values are only made missing after the
      // read (see readTable), and '' is no number.
      columns:
        width === 1
          ? [TEXT]
          : guessColumnTypes(
              head.records.slice(header ? 1 : 0).map((r) => r.map((cell) => asDuckDbReads(cell))),
              width,
            ),
      // A line longer than DuckDB's default limit: the larger one from the start.
      longLines: lines.longestBytes + 2 > DEFAULT_MAX_LINE_BYTES,
      nullPadding: false,
      strict: true,
    };
    for (let tries = 0; tries < MAX_TYPE_RETRIES + 4; tries++) {
      try {
        await this.readTable(path, table, head, attempt);
        if (
          attempt.strict &&
          (await this.isEmpty(table)) &&
          (head.records.length > (header ? 1 : 0) || lines.nonEmptyLines > (header ? 1 : 0))
        ) {
          // DuckDB's strict mode reads no row at all from some valid files (very long
          // lines, a quoted line break in the header); the head shows there are rows.
          attempt.strict = false;
          continue;
        }
        return attempt;
      } catch (error) {
        const message = (error as Error).message;
        if (/Maximum line size/i.test(message) && !attempt.longLines) {
          attempt.longLines = true;
          continue;
        }
        const columns = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
        if (columns && Number(columns[2]) < Number(columns[1]) && !attempt.nullPadding) {
          attempt.nullPadding = true; // short rows: pad with nulls, as pandas does
          continue;
        }
        if (columns) {
          throw tooManyFields(lineOf(message), columns[2], columns[1]);
        }
        if (/Could not convert|Error when converting|out of range/i.test(message)) {
          // A value after the head does not fit the guessed type: that column is read as text.
          const column = /converting column "c(\d+)"/.exec(message);
          const index = column ? Number(column[1]) : -1;
          if (
            tries < MAX_TYPE_RETRIES &&
            attempt.columns[index] &&
            attempt.columns[index] !== TEXT
          ) {
            attempt.columns[index] = TEXT;
          } else {
            attempt.columns = attempt.columns.map(() => TEXT);
          }
          continue;
        }
        if (/state machine reached an invalid state/i.test(message) && attempt.strict) {
          attempt.strict = false;
          continue;
        }
        throw new UploadRejected(explainCsvError(message));
      }
    }
    throw new UploadRejected('The file could not be parsed as CSV');
  }

  private async isEmpty(table: string): Promise<boolean> {
    const [row] = await this.duckdb.queryJson(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
    return Number(row.n) === 0;
  }

  private async readTable(
    path: string,
    table: string,
    head: HeadAnalysis,
    options: ReadOptions,
  ): Promise<void> {
    const t = quoteIdent(table);
    await this.duckdb.run(
      `CREATE OR REPLACE TABLE ${t} AS SELECT * FROM ${readCsvSql(path, head, options)}`,
    );
    if (options.columns.length === 1) {
      await this.duckdb.run(
        `UPDATE ${t} SET ${columnIdent(0)} = NULL WHERE ${columnIdent(0)} = ''`,
      );
    }
  }
}

function lineTooLong(lines: CsvLineStats): UploadRejected {
  const size = (lines.longestBytes / MB).toFixed(1);
  return new UploadRejected(
    `Line ${lines.longestLine.toLocaleString('en-US')} is ${size} MB long; a line may be at most ` +
      `${MAX_LINE_BYTES / MB} MB. Shorten the long values or split them across rows.`,
  );
}

/**
 * A cell of the head as DuckDB reads it: a quote after leading spaces opens a quoted
 * value there, while csv-parse (relax_quotes) keeps such a cell as it is.
 */
function asDuckDbReads(cell: string): string;
function asDuckDbReads(cell: string | undefined): string | null;
function asDuckDbReads(cell: string | undefined): string | null {
  if (cell === undefined) return null;
  const quoted = /^[ \t]+"((?:[^"]|"")*)"[ \t]*$/s.exec(cell);
  return quoted ? quoted[1].replaceAll('""', '"') : cell;
}

function tooManyFields(line: number | string, found: number | string, expected: number | string) {
  return new UploadRejected(
    `Line ${line} has ${found} fields but the header has ${expected}. ` +
      'Check that values containing the delimiter are quoted.',
  );
}

const NA_LIST = `[${PANDAS_NA_VALUES.map(quoteLiteral).join(', ')}]`;
const NA_LIST_NOT_EMPTY = `[${PANDAS_NA_VALUES.filter((v) => v !== '')
  .map(quoteLiteral)
  .join(', ')}]`;
const TEXT: ColumnGuess = { type: 'VARCHAR', integers: false };

/**
 * DuckDB's reader set up the way pandas reads: the first line is the header (or data when
 * `header` is false), columns named c0.. by position and typed as guessed from the head
 * (no sniffing: its cost grows with the width, and its casts accept what pandas does
 * not), pandas' NA tokens are NULL.
 */
const NEW_LINE_OPTION: Record<LineEnding, string> = {
  '\n': "'\\n'",
  '\r\n': "'\\r\\n'",
  '\r': "'\\r'",
};

function readCsvSql(path: string, head: HeadAnalysis, o: ReadOptions): string {
  const columns = o.columns.map((c, i) => `${quoteLiteral(columnIdent(i))}: '${c.type}'`);
  const options = [
    'auto_detect=false',
    `delim=${quoteLiteral(head.delimiter)}`,
    `new_line=${NEW_LINE_OPTION[head.lineEnding]}`,
    `quote='"'`,
    `escape='"'`,
    `header=${o.header}`,
    `columns={${columns.join(', ')}}`,
    // Without '' among the tokens DuckDB skips blank lines of a one-column file, as pandas does.
    `nullstr=${o.columns.length === 1 ? NA_LIST_NOT_EMPTY : NA_LIST}`,
    `dateformat=${quoteLiteral(DATE_FORMAT)}`,
    `timestampformat=${quoteLiteral(TIMESTAMP_FORMAT)}`,
    `strict_mode=${o.strict}`,
  ];
  if (o.longLines) options.push(`max_line_size=${MAX_LINE_BYTES}`);
  // Parallel scanning pays off on long files and costs on wide ones (measured: 1,000 x 2,000
  // reads in 270 ms single-threaded against 470 ms in parallel).
  if (o.nullPadding || o.columns.length >= WIDE_COLUMNS) options.push('parallel=false');
  if (o.nullPadding) options.push('null_padding=true');
  return `read_csv(${quoteLiteral(path)}, ${options.join(', ')})`;
}

/**
 * The start of the file: HEAD_BYTES, or more for wide files, until it holds the header
 * and a few records (MIN_HEAD_LINES line breaks) or MAX_HEAD_BYTES.
 */
async function readHead(path: string): Promise<Buffer> {
  const size = (await stat(path)).size;
  const handle = await open(path, 'r');
  try {
    for (let want = HEAD_BYTES; ; want *= 4) {
      const buffer = Buffer.alloc(Math.min(want, size, MAX_HEAD_BYTES));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const head = buffer.subarray(0, bytesRead);
      if (bytesRead === size || bytesRead >= MAX_HEAD_BYTES || lineBreaks(head) >= MIN_HEAD_LINES)
        return head;
    }
  } finally {
    await handle.close();
  }
}

function lineBreaks(head: Buffer): number {
  let count = 0;
  for (
    let at = head.indexOf(0x0a);
    at >= 0 && count < MIN_HEAD_LINES;
    at = head.indexOf(0x0a, at + 1)
  )
    count++;
  return count;
}

function rejectBinary(head: Buffer): void {
  for (const { magic, what } of BINARY_SIGNATURES) {
    if (magic.every((byte, i) => head[i] === byte)) {
      throw new UploadRejected(`This is not a CSV text file: it looks like ${what}`);
    }
  }
}

function checkLooksLikeText(text: string): void {
  // eslint-disable-next-line no-control-regex
  const controls = text.match(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g)?.length ?? 0;
  if (text.includes('\u0000') || controls > text.length * MAX_CONTROL_CHAR_RATIO) {
    throw new UploadRejected(NOT_TEXT);
  }
}

function lineOf(message: string): string {
  return /Line: (\d+)/.exec(message)?.[1] ?? '?';
}

/** DuckDB's messages name our temp paths and options; people need the gist. */
function explainCsvError(message: string): string {
  if (/not possible to automatically detect/i.test(message)) {
    return 'The CSV format could not be detected: check that it has one header line and a consistent delimiter (comma, semicolon, tab or pipe)';
  }
  if (/unterminated quote|quote/i.test(message) && /Line: \d+/.test(message)) {
    return `Line ${lineOf(message)} has an unterminated quoted value`;
  }
  if (/Maximum line size/i.test(message)) {
    return `Line ${lineOf(message)} is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MB`;
  }
  const line = /Line: (\d+)/.exec(message);
  return line
    ? `The CSV could not be parsed at line ${line[1]}`
    : 'The file could not be parsed as CSV';
}
