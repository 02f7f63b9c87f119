import { parentPort } from 'node:worker_threads';
import { UploadRejected } from '../../common/errors/domain-errors';
import { analyseHead } from './csv-dialect';
import { csvLineStats } from './csv-lines';
import { prepareCsvText } from './csv-text';
import type { CsvWorkerReply, CsvWorkerRequest } from './csv-worker-pool';

// Entry point of a CSV worker thread (see csv-worker-pool.ts): one request at a time, one reply each.
async function handle(request: CsvWorkerRequest): Promise<CsvWorkerReply> {
  try {
    const value =
      request.task === 'prepareText'
        ? await prepareCsvText(request.path, request.workDir, request.options)
        : request.task === 'lineStats'
          ? await csvLineStats(request.path)
          : analyseHead(request.text, request.options);
    return { ok: true, value };
  } catch (error) {
    return {
      ok: false,
      rejected: error instanceof UploadRejected,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

parentPort?.on('message', (request: CsvWorkerRequest) => {
  void handle(request).then((reply) => parentPort?.postMessage(reply));
});
