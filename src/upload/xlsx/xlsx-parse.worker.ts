import { parentPort, workerData } from 'node:worker_threads';
import { readWorkbook } from './workbook-reader';
import { XlsxParseRequest } from './xlsx-parse.messages';

// Entry point of the parse worker thread (see XlsxIngester): one workbook, one reply.
void readWorkbook(workerData as XlsxParseRequest).then((reply) => parentPort?.postMessage(reply));
