import { Injectable } from '@nestjs/common';
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import { DuckDbService, quoteIdent, quoteLiteral } from '../../duckdb/duckdb.service';
import { IngestedTable, TableIngester } from '../table-ingester';
import { analyseHead, Delimiter, firstTooWideRecord, HeadAnalysis } from './csv-dialect';
import { CsvEncoding, decodeHead, encodingFromBom, transcodeToUtf8 } from './text-encoding';

const HEAD_BYTES = 64 * 1024;
const NOT_TEXT = 'This is not a CSV text file: it contains binary data';
/** A share of control characters above this means the file is not text. */
const MAX_CONTROL_CHAR_RATIO = 0.01;
/**
 * DuckDB's default line limit (2 MB) is too small for some real exports with long text
 * cells, but a large limit enlarges every read buffer and halves load speed, so it is
 * raised only for the files that need it.
 */
const MAX_LINE_BYTES = 32 * 1024 * 1024;

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
  longLines: boolean;
  nullPadding: boolean;
  fullSample: boolean;
  allVarchar: boolean;
}

/** Loads CSV text into DuckDB with DuckDB's own reader; JavaScript only checks the head. */
@Injectable()
export class CsvIngester implements TableIngester {
  constructor(private readonly duckdb: DuckDbService) {}

  async ingest(filePath: string, table: string): Promise<IngestedTable> {
    const head = await readHead(filePath);
    if (head.length === 0) throw new UploadRejected('The file is empty');
    rejectBinary(head);
    const bom = encodingFromBom(head);
    if (!bom && head.includes(0)) throw new UploadRejected(NOT_TEXT);
    let encoding: CsvEncoding = bom ?? 'utf-8';
    let text = decodeHead(head, encoding);
    checkLooksLikeText(text);
    if (text.trim() === '') throw new UploadRejected('The file is empty');

    let source = filePath;
    if (encoding === 'utf-16le' || encoding === 'utf-16be')
      source = await this.transcode(filePath, encoding);
    let dialect = analyseHead(text);
    try {
      await this.load(source, table, dialect);
    } catch (error) {
      if (!(error instanceof NotUtf8)) throw error;
      // DuckDB validates UTF-8 as it reads; only files that fail pay for transcoding.
      encoding = 'windows-1252';
      text = decodeHead(head, encoding);
      dialect = analyseHead(text);
      source = await this.transcode(filePath, encoding);
      await this.load(source, table, dialect);
    }

    const names = await this.columnNames(table);
    const header = headerRecord(dialect.records, names);
    if (header) return { header, hasHeader: true };
    // DuckDB calls the columns of a file without a header row column0, column1, ...
    const headerless = names.every((n) => /^column\d+$/.test(n));
    return headerless
      ? { header: names.map(() => null), hasHeader: false }
      : { header: names, hasHeader: true };
  }

  private async transcode(filePath: string, encoding: CsvEncoding): Promise<string> {
    const target = join(dirname(filePath), 'normalized-utf8.csv');
    await transcodeToUtf8(filePath, target, encoding);
    return target;
  }

  /** Tries the fast strict read first, then the careful fallbacks a person would want. */
  private async load(path: string, table: string, head: HeadAnalysis): Promise<void> {
    const { delimiter } = head;
    const attempt: ReadOptions = {
      longLines: false,
      nullPadding: false,
      fullSample: false,
      allVarchar: false,
    };
    for (let tries = 0; tries < 5; tries++) {
      try {
        await this.duckdb.run(
          `CREATE OR REPLACE TABLE ${quoteIdent(table)} AS SELECT * FROM ${readCsvSql(path, delimiter, attempt)}`,
        );
        return;
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
        if (
          /Could not convert|Error when converting|out of range/i.test(message) &&
          !attempt.fullSample
        ) {
          attempt.fullSample = true; // a late value did not fit the type guessed from the sample
          continue;
        }
        if (
          /Could not convert|Error when converting|out of range/i.test(message) &&
          !attempt.allVarchar
        ) {
          attempt.allVarchar = true;
          continue;
        }
        const sniffFailed = /not possible to automatically detect/i.test(message);
        if (sniffFailed && !attempt.nullPadding) {
          // Small files with ragged rows defeat the sniffer; long rows are refused, short ones padded.
          rejectTooWide(head);
          attempt.nullPadding = true;
          continue;
        }
        if (/Invalid unicode|not utf-8 encoded/i.test(message)) throw new NotUtf8();
        throw new UploadRejected(explainCsvError(message));
      }
    }
    throw new UploadRejected('The file could not be parsed as CSV');
  }

  private async columnNames(table: string): Promise<string[]> {
    const rows = await this.duckdb.queryJson(
      `SELECT column_name FROM (DESCRIBE ${quoteIdent(table)})`,
    );
    return rows.map((r) => r.column_name as string);
  }
}

class NotUtf8 extends Error {}

/** Header lines DuckDB may skip before the header; enough for title rows and notes. */
const MAX_HEADER_SEARCH_RECORDS = 20;

/**
 * The header record as the file spells it. DuckDB renames blank names (column1) and
 * repeats (id_1) itself; renames are ours to make and to report, so we need the originals.
 */
function headerRecord(records: string[][], names: string[]): string[] | null {
  for (const record of records.slice(0, MAX_HEADER_SEARCH_RECORDS)) {
    if (record.length !== names.length) continue;
    const linesUp = record.every(
      (value, i) => value === names[i] || value.trim() === '' || names[i].startsWith(value.trim()),
    );
    if (linesUp && record.some((value) => value.trim() !== '')) return record;
  }
  return null;
}

function tooManyFields(line: number | string, found: number | string, expected: number | string) {
  return new UploadRejected(
    `Line ${line} has ${found} fields but the header has ${expected}. ` +
      'Check that values containing the delimiter are quoted.',
  );
}

function rejectTooWide(head: HeadAnalysis): void {
  const wide = firstTooWideRecord(head);
  if (wide) {
    throw tooManyFields(wide.line, wide.fields, wide.expected);
  }
}

function readCsvSql(path: string, delimiter: Delimiter, o: ReadOptions): string {
  const options = [`delim=${quoteLiteral(delimiter)}`, 'strict_mode=true'];
  if (o.longLines) options.push(`max_line_size=${MAX_LINE_BYTES}`);
  if (o.nullPadding) options.push('null_padding=true', 'parallel=false');
  if (o.fullSample) options.push('sample_size=-1');
  if (o.allVarchar) options.push('all_varchar=true');
  return `read_csv(${quoteLiteral(path)}, ${options.join(', ')})`;
}

async function readHead(path: string): Promise<Buffer> {
  const size = (await stat(path)).size;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
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
