import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Encodings we accept; all are normalised to UTF-8 before DuckDB reads the file. */
export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export function encodingFromBom(head: Buffer): CsvEncoding | null {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return 'utf-8-bom';
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}

/** TextDecoder skips a UTF-8 BOM itself, so both UTF-8 variants decode the same way. */
function decoderLabel(encoding: CsvEncoding): string {
  return encoding === 'utf-8-bom' ? 'utf-8' : encoding;
}

/** Decodes the start of a file for checks on its text. */
export function decodeHead(head: Buffer, encoding: CsvEncoding): string {
  return new TextDecoder(decoderLabel(encoding)).decode(head);
}

/**
 * Rewrites a non-UTF-8 file as UTF-8 without a BOM. cp1252 is used for single-byte
 * text: it is Latin-1 plus the printable characters Windows puts in 0x80-0x9F.
 */
export async function transcodeToUtf8(
  source: string,
  target: string,
  encoding: CsvEncoding,
): Promise<void> {
  const decoder = new TextDecoder(decoderLabel(encoding));
  const toUtf8 = new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode(), 'utf8'));
    },
  });
  await pipeline(createReadStream(source), toUtf8, createWriteStream(target));
}
