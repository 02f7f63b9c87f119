import { close, closeSync, createReadStream, fstatSync, openSync, read, readSync } from 'node:fs';
import type { Readable, TransformOptions } from 'node:stream';
import { createInflateRaw, ZlibOptions } from 'node:zlib';
import * as yauzl from 'yauzl';

/** Inflated output per chunk: larger than zlib's 16 KB default, for fewer round trips. */
const INFLATE_CHUNK_BYTES = 1 << 20;
const COMPRESSION_DEFLATE = 8;

/** A file read through a file descriptor, seen as only its first `size` bytes by yauzl. */
class FileReader extends yauzl.RandomAccessReader {
  constructor(private readonly fd: number) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // yauzl destroys streams it is done with, and a destroyed file stream closes its fd:
    // this reader's fd must stay open until yauzl closes the reader.
    return createReadStream('', {
      fd: this.fd,
      start,
      end: end - 1,
      autoClose: false,
      fs: { read, close: (_fd: number, done: (err: Error | null) => void) => done(null) },
    });
  }

  override close(callback: (err: Error | null) => void): void {
    close(this.fd, callback);
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

/**
 * Bytes after the end of central directory record that its comment length does not cover
 * (found as yauzl finds the record: the last signature from the end).
 */
function trailingJunk(fd: number, size: number): number {
  const length = Math.min(size, EOCD_BYTES + MAX_COMMENT_BYTES);
  const tail = Buffer.alloc(length);
  readSync(fd, tail, 0, length, size - length);
  for (let i = length - EOCD_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD_SIGNATURE) continue;
    const after = length - i - EOCD_BYTES;
    return Math.max(0, after - tail.readUInt16LE(i + 20));
  }
  return 0;
}

/**
 * Opens a ZIP archive as Python's zipfile (and so openpyxl) does: bytes after the end of
 * central directory record that its comment length does not cover are ignored, where
 * yauzl alone would refuse the file.
 */
export async function openZip(path: string, options: yauzl.Options): Promise<yauzl.ZipFile> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    return await yauzl.fromRandomAccessReaderPromise(
      new FileReader(fd),
      size - trailingJunk(fd, size),
      options,
    );
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * The parts of a workbook's ZIP archive, by name, read whole (small parts) or streamed
 * (sheets, shared strings). yauzl stops any entry at its declared size (validateEntrySizes),
 * and xlsx-archive.ts has bounded those sizes before the parse starts.
 */
export class ZipParts {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
  ) {}

  static async open(path: string): Promise<ZipParts> {
    const zip = await openZip(path, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
    });
    const entries = new Map<string, yauzl.Entry>();
    try {
      // A name that appears twice means its last entry, as Python's zipfile has it.
      for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
    } catch (error) {
      zip.close();
      throw error;
    }
    return new ZipParts(zip, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Declared uncompressed size of a part, in bytes. */
  size(name: string): number {
    return this.entries.get(name)?.uncompressedSize ?? 0;
  }

  /** A whole part; undefined when the archive has no such part. */
  async read(name: string): Promise<Buffer | undefined> {
    if (!this.entries.has(name)) return undefined;
    const chunks: Buffer[] = [];
    await this.stream(name, (chunk) => chunks.push(chunk));
    return Buffer.concat(chunks);
  }

  /** Streams a part's bytes to `onChunk`, which handles each chunk before the next is read. */
  async stream(name: string, onChunk: (chunk: Buffer) => void): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no part ${name}`);
    if (entry.compressionMethod !== COMPRESSION_DEFLATE) {
      const stream = await this.zip.openReadStreamPromise(entry);
      for await (const chunk of stream as AsyncIterable<Buffer>) onChunk(chunk);
      return;
    }
    // Inflated here rather than by yauzl to choose the chunk size; the size check is yauzl's.
    const raw = await this.zip.openReadStreamPromise(entry, { decompress: false });
    // A few chunks of room let zlib (on the thread pool) inflate ahead while the parse runs.
    // zlib passes stream options on to its Transform, though its type does not say so.
    const inflate = createInflateRaw({
      chunkSize: INFLATE_CHUNK_BYTES,
      readableHighWaterMark: 4 * INFLATE_CHUNK_BYTES,
    } as ZlibOptions & TransformOptions);
    raw.on('error', (error) => inflate.destroy(error));
    raw.pipe(inflate);
    let bytes = 0;
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > entry.uncompressedSize) {
        raw.destroy();
        throw new Error(
          `${name} inflates to more than its declared ${entry.uncompressedSize} bytes`,
        );
      }
      onChunk(chunk);
    }
    if (bytes !== entry.uncompressedSize)
      throw new Error(
        `${name} inflates to ${bytes} bytes, not its declared ${entry.uncompressedSize}`,
      );
  }

  close(): void {
    this.zip.close();
  }
}
