import { readWorkbook } from './workbook-reader';
import { XlsxParseRequest } from './xlsx-parse.messages';

// Entry point of the parse child process (see XlsxIngester): one workbook, one reply, then exit.
process.once('message', (request: XlsxParseRequest) => {
  void readWorkbook(request).then((reply) => process.send?.(reply, () => process.disconnect()));
});
