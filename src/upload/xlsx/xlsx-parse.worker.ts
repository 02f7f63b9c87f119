import { parentPort, workerData } from 'node:worker_threads';
import { readWorkbook } from './workbook-reader';
import { XlsxParseRequest } from './xlsx-parse.messages';

// Entry point of the parse worker thread (see XlsxIngester): one workbook, one reply.
if (parentPort) parentPort.postMessage(readWorkbook(workerData as XlsxParseRequest));
