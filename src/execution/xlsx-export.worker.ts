import { DuckDBInstance } from '@duckdb/node-api';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { ZipFile } from 'yazl';
import type { XlsxExportReply, XlsxExportRequest } from './xlsx-export';
import { columnLetters, xlsxRow, xlsxTemplate } from './xlsx-sheet';

/** SheetJS dates its entries 1980-01-01 (the ZIP epoch); the same makes equal outputs equal. */
const ENTRY_TIME = new Date(1980, 0, 1);
/** Sheet XML is handed to the zip stream in pieces of about this many characters. */
const FLUSH_CHARS = 1 << 20;

/** Reads the export query's rows (Parquet, in order) and writes the workbook as a ZIP stream. */
async function exportWorkbook(req: XlsxExportRequest): Promise<void> {
  const template = xlsxTemplate(req.names, req.formats, req.rows);
  const letters = columnLetters(req.names.length);
  const zip = new ZipFile();
  const sheet = new PassThrough();
  const options = { mtime: ENTRY_TIME, compress: true };
  const written = finished(zip.outputStream.pipe(createWriteStream(req.outFile, { mode: 0o600 })));
  template.parts.forEach((part, i) => {
    if (i === template.sheetAt) zip.addReadStream(sheet, template.sheetPath, options);
    zip.addBuffer(part.content, part.path, options);
  });
  if (template.sheetAt === template.parts.length)
    zip.addReadStream(sheet, template.sheetPath, options);
  zip.end();

  const db = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '256MB' });
  const conn = await db.connect();
  try {
    sheet.write(template.sheetHead);
    const result = await conn.stream(
      `SELECT * FROM read_parquet('${req.parquetFile.replace(/'/g, "''")}')`,
    );
    let r = 2;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      // Row by row, flushed by size: a whole chunk of wide 32,767-character cells would
      // pass the worker's heap limit, and that can abort the server's process.
      let xml = '';
      for (let i = 0; i < chunk.rowCount; i++) {
        const values = chunk.getRowValues(i);
        xml += xlsxRow(values, r++, req.slots, template.styles, letters, req.maxCellChars);
        if (xml.length >= FLUSH_CHARS || i === chunk.rowCount - 1) {
          const flushed = sheet.write(xml);
          xml = '';
          if (!flushed) await once(sheet, 'drain');
        }
      }
    }
    sheet.end(template.sheetTail);
    await written;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

exportWorkbook(workerData as XlsxExportRequest).then(
  () => parentPort?.postMessage({ ok: true } satisfies XlsxExportReply),
  (error: unknown) =>
    parentPort?.postMessage({
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    } satisfies XlsxExportReply),
);
