import type { ColumnType } from './sheet-table';

/** What the ingester hands the parse worker (workerData). */
export interface XlsxParseRequest {
  filePath: string;
  /** Where the worker writes the rows as NDJSON. */
  outPath: string;
  /** Sheet to load; the first one when absent. */
  sheet?: string;
}

export interface XlsxParseSuccess {
  kind: 'parsed';
  sheets: string[];
  header: (string | null)[];
  types: ColumnType[];
  rowCount: number;
  /** Longest NDJSON line, in bytes at most: sizes DuckDB's maximum_object_size. */
  maxLineBytes: number;
}

/** The workbook was read but cannot be used as asked; `message` is for the person. */
export interface XlsxParseRejection {
  kind: 'rejected';
  message: string;
}

/** SheetJS could not read the file (damaged, unsupported) or ran out of room for it. */
export interface XlsxParseFailure {
  kind: 'unreadable' | 'too-large';
  reason: string;
}

export type XlsxParseReply = XlsxParseSuccess | XlsxParseRejection | XlsxParseFailure;
