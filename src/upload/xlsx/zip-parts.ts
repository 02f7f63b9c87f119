import type { TransformOptions } from 'node:stream';
import { createInflateRaw, ZlibOptions } from 'node:zlib';
import * as yauzl from 'yauzl';

/** Inflated output per chunk: larger than zlib's 16 KB default, for fewer round trips. */
const INFLATE_CHUNK_BYTES = 1 << 20;
const COMPRESSION_DEFLATE = 8;

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
    const zip = await yauzl.openPromise(path, {
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
