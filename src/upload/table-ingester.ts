/** What an ingester learned while loading a file into its DuckDB table. */
export interface IngestedTable {
  /**
   * The file's own column names, one per table column and in the same order; `null`
   * where a name is missing (blank header cell, or a file without a header row).
   * The upload service turns these into unique, usable names and renames the columns.
   */
  header: (string | null)[];
  /** Sheet names of a workbook, first to last. */
  sheets?: string[];
  /** False when the file had no header row and names were made up. */
  hasHeader: boolean;
}

/**
 * Loads one uploaded file into a new DuckDB table, columns in file order and rows in
 * file order (rowid). Throws UploadRejected with a message a person understands.
 */
export interface TableIngester {
  ingest(filePath: string, table: string, options: { sheet?: string }): Promise<IngestedTable>;
}
