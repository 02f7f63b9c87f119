import { open } from 'node:fs/promises';
import * as yauzl from 'yauzl';
import { UploadRejected } from '../../common/errors/domain-errors';
import { openZip } from './zip-parts';

export interface XlsxArchiveLimits {
  maxEntries: number;
  /** Sum of the declared uncompressed sizes of all entries. */
  maxUncompressedBytes: number;
  /** Uncompressed / compressed size of one entry; real sheets stay well under 50. */
  maxCompressionRatio: number;
  /** Entries smaller than this uncompressed are exempt from the ratio check (tiny, repetitive XML parts). */
  ratioExemptBytes: number;
}

/** A workbook has a dozen parts plus about three per sheet; 10k leaves room for thousands of sheets. */
export const MAX_XLSX_ENTRIES = 10_000;
/** Deflate tops out near 1032:1; ZIP bombs sit there, spreadsheets at 5-50:1. */
export const MAX_XLSX_COMPRESSION_RATIO = 200;
export const RATIO_EXEMPT_BYTES = 1024 * 1024;

const SIGNATURE_BYTES = 8;
const OLE2_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ZIP_LOCAL_HEADER = Buffer.from('PK\x03\x04', 'latin1');
const ZIP_EMPTY_ARCHIVE = Buffer.from('PK\x05\x06', 'latin1');
const COMPRESSION_STORED = 0;
const COMPRESSION_DEFLATE = 8;
/** General-purpose flag bit 3: sizes follow the data instead of sitting in the local header. */
const FLAG_DATA_DESCRIPTOR = 0x08;
const BYTES_PER_MB = 1024 * 1024;

const WORKBOOK_PART = 'xl/workbook.xml';

const DAMAGED =
  'The file is not a valid .xlsx workbook: its ZIP structure is damaged or incomplete.';

/** Says what a ZIP without an Excel workbook part is instead, when that is recognisable. */
function notAWorkbookMessage(names: Set<string>): string {
  const save =
    'Open it in its application, save it as an Excel Workbook (.xlsx) and upload it again.';
  if (names.has('xl/workbook.bin'))
    return `This is an Excel binary workbook (.xlsb), not an .xlsx file. ${save}`;
  if (names.has('mimetype') || names.has('content.xml') || names.has('meta-inf/manifest.xml')) {
    return `This is an OpenDocument file (such as .ods), not an Excel workbook. ${save}`;
  }
  if (names.has('word/document.xml')) return 'This is a Word document, not an Excel workbook.';
  if (names.has('ppt/presentation.xml'))
    return 'This is a PowerPoint presentation, not an Excel workbook.';
  return 'The file is a ZIP archive but not an Excel workbook (.xlsx): it has no workbook part.';
}

async function readSignature(filePath: string): Promise<Buffer> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(SIGNATURE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SIGNATURE_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function checkSignature(signature: Buffer): void {
  if (signature.length === 0) throw new UploadRejected('The file is empty.');
  if (signature.equals(OLE2_SIGNATURE)) {
    // Both legacy .xls files and password-protected .xlsx files are OLE2 containers.
    throw new UploadRejected(
      'This file is in the old Excel 97-2003 format (.xls) or is password-protected. ' +
        'Open it in Excel or LibreOffice, save it as an Excel Workbook (.xlsx) without a password and upload it again.',
    );
  }
  const head = signature.subarray(0, ZIP_LOCAL_HEADER.length);
  if (!head.equals(ZIP_LOCAL_HEADER) && !head.equals(ZIP_EMPTY_ARCHIVE)) {
    throw new UploadRejected(
      'The file is not an Excel workbook (.xlsx). If it holds comma-separated text, upload it with a .csv extension.',
    );
  }
}

function checkEntry(entry: yauzl.Entry, limits: XlsxArchiveLimits): void {
  if (entry.isEncrypted()) {
    throw new UploadRejected(
      'The workbook is password-protected. Remove the password and upload it again.',
    );
  }
  if (
    entry.compressionMethod !== COMPRESSION_STORED &&
    entry.compressionMethod !== COMPRESSION_DEFLATE
  ) {
    throw new UploadRejected(
      'The file is not a valid .xlsx workbook: it uses an unsupported ZIP compression method.',
    );
  }
  if (entry.uncompressedSize < limits.ratioExemptBytes) return;
  const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
  if (ratio > limits.maxCompressionRatio) {
    throw new UploadRejected(
      `The workbook was not opened: part of it is compressed more than ${limits.maxCompressionRatio} to 1, ` +
        'which is what ZIP bombs look like and real spreadsheets do not.',
    );
  }
}

/**
 * The sizes the central directory declares are the ones the checks above bound, so the
 * local headers must agree with them (ZIP64 local headers for small entries count as
 * damaged). Nothing is inflated here: the parse streams each part and stops at the first
 * byte beyond its declared size (zip-parts.ts), so a lying entry costs no more than that.
 */
async function verifyDeclaredSizes(zip: yauzl.ZipFile, entries: yauzl.Entry[]): Promise<void> {
  for (const entry of entries) {
    const local = await zip.readLocalFileHeaderPromise(entry);
    const same =
      local.compressedSize === entry.compressedSize &&
      local.uncompressedSize === entry.uncompressedSize;
    const deferred =
      (local.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR) !== 0 &&
      local.compressedSize === 0 &&
      local.uncompressedSize === 0;
    if (!same && !deferred) throw new Error('local header sizes differ from the central directory');
  }
}

/**
 * Checks an uploaded .xlsx from its ZIP structure alone, before any parser sees it:
 * refuses non-ZIP content (legacy .xls, text), ZIPs that are not Excel workbooks, and
 * archives that would unpack to too much (ZIP bombs). Throws UploadRejected.
 */
export async function checkXlsxArchive(filePath: string, limits: XlsxArchiveLimits): Promise<void> {
  checkSignature(await readSignature(filePath));

  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(filePath, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
    });
  } catch {
    throw new UploadRejected(DAMAGED);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new UploadRejected(
        `The workbook has ${zip.entryCount} internal parts, more than the ${limits.maxEntries} accepted.`,
      );
    }
    const entries: yauzl.Entry[] = [];
    const names = new Set<string>();
    let totalBytes = 0;
    try {
      for await (const entry of zip.eachEntry()) {
        checkEntry(entry, limits);
        totalBytes += entry.uncompressedSize;
        if (totalBytes > limits.maxUncompressedBytes) {
          throw new UploadRejected(
            `The workbook would unpack to more than ${Math.floor(limits.maxUncompressedBytes / BYTES_PER_MB)} MB, ` +
              'the limit for .xlsx uploads. Split it into smaller files or save it as CSV.',
          );
        }
        entries.push(entry);
        names.add(entry.fileName.toLowerCase());
      }
    } catch (error) {
      throw error instanceof UploadRejected ? error : new UploadRejected(DAMAGED);
    }
    if (!names.has(WORKBOOK_PART)) throw new UploadRejected(notAWorkbookMessage(names));
    try {
      await verifyDeclaredSizes(zip, entries);
    } catch {
      throw new UploadRejected(DAMAGED);
    }
  } finally {
    zip.close();
  }
}
