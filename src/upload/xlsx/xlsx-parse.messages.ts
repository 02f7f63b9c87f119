import type { ColumnStore } from './column-inference';

/** What the ingester hands the parse worker (workerData). */
export interface XlsxParseRequest {
  filePath: string;
  /** Where the worker writes the data rows as CSV (`n,c0,c1,...`, no header), for DuckDB to read. */
  csvPath: string;
  /** Sheet to load; the first worksheet when absent. */
  sheet?: string;
  /** False: the first row is data and columns are column_1..n (pandas' header=None). */
  header: boolean;
  /** Most bytes the CSV (every cell's text, shared strings expanded) may take (refused beyond). */
  maxTableBytes: number;
  /** The setting that sets maxTableBytes, named in the refusal (e.g. XLSX_MAX_CELL_TEXT_MB). */
  maxTableSetting?: string;
  /** Most bytes the shared-strings part may unpack to (refused beyond, before it is read). */
  maxSharedStringsBytes: number;
}

export interface XlsxColumn {
  name: string;
  /** pandas dtype `transform(df)` sees. */
  dtype: string;
  /** DuckDB type of the table column (CSV field form: see table-builder.ts csvField). */
  store: ColumnStore;
}

export interface XlsxParseSuccess {
  kind: 'parsed';
  /** Worksheet names, first to last (pandas' ExcelFile.sheet_names). */
  sheets: string[];
  columns: XlsxColumn[];
  rowCount: number;
  /** [original, new] for names pandas made up or changed (blank and repeated headers). */
  renamed: [string, string][];
  warnings: string[];
  /** Bytes of the CSV DuckDB loaded: the table's cells as text, shared strings expanded. */
  textBytes: number;
  /** Longest CSV line, in bytes at most: sizes DuckDB's max_line_size. */
  maxLineBytes: number;
  /** Milliseconds spent on each step in the worker (logs and bench). */
  timings: {
    workbookMs: number;
    sheetMs: number;
    /** Time of the second pass over the sheet, when a column's values had to be rewritten. */
    rewriteMs: number;
    /** CPU time of the process (all threads) during the first pass, and in all. */
    sheetCpuMs: number;
    totalCpuMs: number;
  };
}

/** The workbook was read but cannot be used as asked; `message` is for the person. */
export interface XlsxParseRejection {
  kind: 'rejected';
  message: string;
}

/** The file could not be read (damaged, not what openpyxl reads) or ran out of room. */
export interface XlsxParseFailure {
  kind: 'unreadable' | 'too-large';
  reason: string;
}

export type XlsxParseReply = XlsxParseSuccess | XlsxParseRejection | XlsxParseFailure;
