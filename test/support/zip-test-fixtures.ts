import { deflateRawSync } from 'node:zlib';
import * as XLSX from 'xlsx';

/**
 * Test fixtures: hand-made ZIP archives (including lying ones) and small workbooks.
 * Used by the unit and integration tests only.
 */

export interface ZipFixtureEntry {
  name: string;
  data: Buffer;
  /** Store instead of deflating. */
  stored?: boolean;
  /** Sizes to claim instead of the real ones (ZIP bombs lie about them). */
  declaredUncompressedSize?: number;
  localUncompressedSize?: number;
  compressionMethod?: number;
  flags?: number;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const VERSION_20 = 20;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;
const CRC32_POLYNOMIAL = 0xedb88320;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? CRC32_POLYNOMIAL ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A ZIP archive built byte by byte, so that tests can make its headers say anything. */
export function buildZip(entries: ZipFixtureEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const method = entry.compressionMethod ?? (entry.stored ? METHOD_STORED : METHOD_DEFLATE);
    const payload = entry.stored ? entry.data : deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const declared = entry.declaredUncompressedSize ?? entry.data.length;
    const local = Buffer.alloc(LOCAL_HEADER_BYTES);
    local.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0);
    local.writeUInt16LE(VERSION_20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(entry.localUncompressedSize ?? declared, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, payload);

    const central = Buffer.alloc(CENTRAL_HEADER_BYTES);
    central.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0);
    central.writeUInt16LE(VERSION_20, 4);
    central.writeUInt16LE(VERSION_20, 6);
    central.writeUInt16LE(entry.flags ?? 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + payload.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(END_RECORD_BYTES);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY_SIGNATURE, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The parts an .xlsx needs, with a sheet part that inflates to `sheetBytes` of zeros: a ZIP bomb. */
export function zipBombXlsx(sheetBytes: number): Buffer {
  return buildZip([
    { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
    { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
    { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(sheetBytes) },
  ]);
}

/** A cell as SheetJS writes it; plain values become string, number or boolean cells. */
export type FixtureCell = string | number | boolean | null | XLSX.CellObject;

/** A workbook written by SheetJS: sheet name → rows of cells. */
export function workbookBuffer(
  sheets: Record<string, FixtureCell[][]>,
  options: { date1904?: boolean } = {},
): Buffer {
  const wb = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws: XLSX.WorkSheet = {};
    let lastRow = -1;
    let lastColumn = -1;
    rows.forEach((row, r) =>
      row.forEach((value, c) => {
        if (value === null) return;
        ws[XLSX.utils.encode_cell({ r, c })] = typeof value === 'object' ? value : cellOf(value);
        lastRow = Math.max(lastRow, r);
        lastColumn = Math.max(lastColumn, c);
      }),
    );
    if (lastRow >= 0)
      ws['!ref'] = XLSX.utils.encode_range({ s: { r: 0, c: 0 }, e: { r: lastRow, c: lastColumn } });
    XLSX.utils.book_append_sheet(wb, ws, name);
  }
  if (options.date1904) wb.Workbook = { WBProps: { date1904: true } };
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

function cellOf(value: string | number | boolean): XLSX.CellObject {
  if (typeof value === 'string') return { t: 's', v: value };
  if (typeof value === 'number') return { t: 'n', v: value };
  return { t: 'b', v: value };
}

/** A date cell: an Excel day serial with a date number format. */
export function dateCell(serial: number, format = 'yyyy-mm-dd'): XLSX.CellObject {
  return { t: 'n', v: serial, z: format };
}

/** An error cell such as #DIV/0! (SheetJS error code 0x07). */
export const DIV0_CELL: XLSX.CellObject = { t: 'e', v: 0x07 };
