import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../../common/entry-points';
import { UploadRejected } from '../../common/errors/domain-errors';
import type { Delimiter, HeadAnalysis } from './csv-dialect';
import type { CsvLineStats } from './csv-lines';
import type { PreparedCsvText, PrepareCsvTextOptions } from './csv-text';

export type CsvWorkerRequest =
  | { task: 'prepareText'; path: string; workDir: string; options: PrepareCsvTextOptions }
  | { task: 'analyseHead'; text: string; options: { wholeFile?: boolean; delimiter?: Delimiter } }
  | { task: 'lineStats'; path: string };

export type CsvWorkerReply =
  | { ok: true; value: PreparedCsvText | HeadAnalysis | CsvLineStats }
  | { ok: false; rejected: boolean; message: string };

const WORKER_BASENAME = 'csv.worker';
/** One core is left to the event loop; the rest, up to 4, read CSV heads and encodings. */
const POOL_SIZE = Math.min(4, Math.max(1, availableParallelism() - 1));
/** An idle worker is ended after this long (a new one starts in ~50 ms). */
const IDLE_MS = 30_000;

interface Task {
  request: CsvWorkerRequest;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  idle?: NodeJS.Timeout;
}

const queue: Task[] = [];
const slots: Slot[] = [];

/**
 * `prepareCsvText` (encoding detection with jschardet, the UTF-8 scan and copy) run in a
 * worker thread, so that a large or badly encoded upload costs the API's event loop
 * nothing. Same result and same `UploadRejected` messages as the function itself.
 */
export function prepareCsvTextOffThread(
  path: string,
  workDir: string,
  options: PrepareCsvTextOptions = {},
): Promise<PreparedCsvText> {
  return run({ task: 'prepareText', path, workDir, options });
}

/**
 * `analyseHead` (csv-parse of the head once per candidate delimiter: ~30 ms of CPU for a
 * 64 KB head) run in a worker thread. Same result as the function itself.
 */
export function analyseHeadOffThread(
  text: string,
  options: { wholeFile?: boolean; delimiter?: Delimiter } = {},
): Promise<HeadAnalysis> {
  return run({ task: 'analyseHead', text, options });
}

/** `csvLineStats` (one pass over the file's bytes) run in a worker thread. */
export function csvLineStatsOffThread(path: string): Promise<CsvLineStats> {
  return run({ task: 'lineStats', path });
}

function run<T>(request: CsvWorkerRequest): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    queue.push({ request, resolve: resolve as (value: unknown) => void, reject });
    dispatch();
  });
}

/** Hands queued requests to idle workers, starting workers up to POOL_SIZE. */
function dispatch(): void {
  while (queue.length > 0) {
    let slot = slots.find((s) => s.task === null);
    if (!slot) {
      if (slots.length >= POOL_SIZE) return;
      slot = startWorker();
    }
    const task = queue.shift()!;
    slot.task = task;
    clearTimeout(slot.idle);
    slot.worker.ref();
    slot.worker.postMessage(task.request);
  }
}

function startWorker(): Slot {
  const slot: Slot = { worker: createWorker(), task: null };
  const { worker } = slot;
  worker.on('message', (reply: CsvWorkerReply) => {
    const task = slot.task;
    slot.task = null;
    // An idle worker does not keep the process alive, and is ended after IDLE_MS.
    worker.unref();
    slot.idle = setTimeout(() => {
      // Out of the pool first, so that no request is handed to a worker that is ending.
      slots.splice(slots.indexOf(slot), 1);
      void worker.terminate();
    }, IDLE_MS).unref();
    if (task) {
      if (reply.ok) task.resolve(reply.value);
      else
        task.reject(reply.rejected ? new UploadRejected(reply.message) : new Error(reply.message));
    }
    dispatch();
  });
  const gone = (error: Error): void => {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    slots.splice(index, 1);
    clearTimeout(slot.idle);
    slot.task?.reject(error);
    slot.task = null;
    dispatch();
  };
  worker.on('error', gone);
  worker.on('exit', (code) =>
    gone(new Error(`CSV worker exited with code ${code} before replying`)),
  );
  slots.push(slot);
  return slot;
}

function createWorker(): Worker {
  // No heap limit of its own: the work is what ran on the main thread, bounded by the 8 MB
  // head, and a worker reaching such a limit can abort the whole process (see XlsxIngester).
  // Nothing here needs the environment, and it holds secrets (the API key).
  return startWorkerThread(__dirname, WORKER_BASENAME, { env: {} });
}
