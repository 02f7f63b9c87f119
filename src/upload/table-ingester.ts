/** One column of an ingested table: its name and the pandas dtype `transform(df)` sees. */
export interface IngestedColumn {
  /** The name exactly as pandas names it (see column-names.ts); never sent to SQL. */
  name: string;
  /** pandas dtype name: int64, uint64, float64, bool, object, datetime64[ns], Int64, ... */
  dtype: string;
}

/** What an ingester learned while loading a file into its DuckDB table. */
export interface IngestedTable {
  /** One per table column, in order: column i of the table is `columnIdent(i)` (c0, c1, ...). */
  columns: IngestedColumn[];
  rowCount: number;
  /** `{original: new}` for names that were empty or repeated (a null-prototype object). */
  renamedColumns: Record<string, string>;
  /** Plain sentences on how the file was read (encoding, replaced bytes, typing choices). */
  warnings: string[];
  /** Sheet names of a workbook, first to last. */
  sheets?: string[];
  /** Bytes of cell text loaded into the table (a workbook's shared strings expanded in each cell). */
  textBytes: number;
}

export interface IngestOptions {
  /** Sheet to load (XLSX); the first when absent. */
  sheet?: string;
  /** False when the file has no header row: columns are then named column_1..n. */
  header: boolean;
}

/**
 * Loads one uploaded file into a new DuckDB table with pandas semantics
 * (`pandas.read_csv` / `pandas.read_excel` defaults, see api.md "What transform(df) sees").
 *
 * The table's columns are named `c0..c{n-1}` by position (user names never reach SQL)
 * and hold, per pandas dtype: int64 BIGINT, uint64 UBIGINT, float64 DOUBLE, bool BOOLEAN,
 * datetime64[ns] TIMESTAMP_NS, timedelta64[ns] INTERVAL, Int64 BIGINT (nulls = <NA>);
 * object is VARCHAR (text), BOOLEAN (True/False with missing values) or TIME
 * (datetime.time values). NULL is the missing value. Rows are in file order (rowid).
 * Throws UploadRejected with a message a person understands.
 */
export interface TableIngester {
  ingest(filePath: string, table: string, options: IngestOptions): Promise<IngestedTable>;
}
