import { startWorkerThread } from '../common/entry-points';
import type { XlsxColumnSlots } from './xlsx-sheet';

export interface XlsxExportRequest {
  /** The export query's rows, in order (DuckDB wrote them). */
  parquetFile: string;
  /** Where the workbook goes. */
  outFile: string;
  names: string[];
  formats: (string | undefined)[];
  slots: XlsxColumnSlots[];
  rows: number;
  maxCellChars: number;
}

export type XlsxExportReply = { ok: true } | { ok: false; error: string };

const WORKER_BASENAME = 'xlsx-export.worker';
/** Rows go through in chunks of 2,048; a wide chunk of long texts stays far below. */
const WORKER_MAX_HEAP_MB = 512;

/**
 * Writes the XLSX download in a worker thread, streamed with bounded memory, so that a
 * large workbook costs the API's event loop nothing.
 */
export function writeXlsx(request: XlsxExportRequest): Promise<void> {
  const options = {
    workerData: request,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_MAX_HEAP_MB },
    env: {},
  };
  const worker = startWorkerThread(__dirname, WORKER_BASENAME, options);
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (reply: XlsxExportReply) =>
      reply.ok ? resolve() : reject(new Error(`XLSX export failed: ${reply.error}`)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`XLSX export worker exited with code ${code} before replying`)),
    );
  }).finally(() => void worker.terminate());
}
