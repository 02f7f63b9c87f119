import { createReadStream } from 'node:fs';

/** What one pass over a CSV file's bytes finds about its physical lines. */
export interface CsvLineStats {
  /** Bytes of the longest physical line (LF, CRLF or a lone CR ends one), without its ending. */
  longestBytes: number;
  /** 1-based number of that line. */
  longestLine: number;
  /** Physical lines holding at least one byte. */
  nonEmptyLines: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Scans `path` once (in a worker thread: see csv-worker-pool.ts) for its longest line and its non-empty lines, so that the
 * reader's line limit is set before DuckDB reads, and a read that found no rows can be
 * told from a file that has none.
 */
export async function csvLineStats(path: string): Promise<CsvLineStats> {
  let line = 1;
  let current = 0;
  let longestBytes = 0;
  let longestLine = 1;
  let nonEmptyLines = 0;
  let previous = 0;
  for await (const chunk of createReadStream(path, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF || byte === CR) {
        if (byte === LF && previous === CR) {
          previous = byte;
          continue;
        }
        if (current > 0) nonEmptyLines++;
        if (current > longestBytes) {
          longestBytes = current;
          longestLine = line;
        }
        current = 0;
        line++;
      } else {
        current++;
      }
      previous = byte;
    }
  }
  if (current > 0) nonEmptyLines++;
  if (current > longestBytes) {
    longestBytes = current;
    longestLine = line;
  }
  return { longestBytes, longestLine, nonEmptyLines };
}
