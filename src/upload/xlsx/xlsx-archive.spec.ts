import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadRejected } from '../../common/errors/domain-errors';
import {
  checkXlsxArchive,
  MAX_XLSX_COMPRESSION_RATIO,
  MAX_XLSX_ENTRIES,
  RATIO_EXEMPT_BYTES,
  XlsxArchiveLimits,
} from './xlsx-archive';
import {
  buildZip,
  workbookBuffer,
  zipBombXlsx,
  ZipFixtureEntry,
} from '../../../test/support/zip-test-fixtures';

const MB = 1024 * 1024;
const LIMITS: XlsxArchiveLimits = {
  maxEntries: MAX_XLSX_ENTRIES,
  maxUncompressedBytes: 1024 * MB,
  maxCompressionRatio: MAX_XLSX_COMPRESSION_RATIO,
  ratioExemptBytes: RATIO_EXEMPT_BYTES,
};
const WORKBOOK_PARTS: ZipFixtureEntry[] = [
  { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
  { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
];

describe('checkXlsxArchive', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'xlsx-archive-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function check(content: Buffer, limits: Partial<XlsxArchiveLimits> = {}): Promise<void> {
    const path = join(dir, `file-${n++}.xlsx`);
    writeFileSync(path, content);
    await checkXlsxArchive(path, { ...LIMITS, ...limits });
  }
  async function rejection(
    content: Buffer,
    limits: Partial<XlsxArchiveLimits> = {},
  ): Promise<string> {
    const error = await check(content, limits).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UploadRejected);
    return (error as UploadRejected).message;
  }

  it('accepts a workbook written by a spreadsheet library', async () => {
    await expect(check(workbookBuffer({ Data: [['a'], [1]] }))).resolves.toBeUndefined();
  });

  it('accepts a hand-built ZIP with a workbook part', async () => {
    await expect(check(buildZip(WORKBOOK_PARTS))).resolves.toBeUndefined();
  });

  it('refuses an empty file', async () => {
    expect(await rejection(Buffer.alloc(0))).toBe('The file is empty.');
  });

  it('refuses a legacy .xls (OLE2) file, saying to save it as .xlsx', async () => {
    const ole2 = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)]);
    expect(await rejection(ole2)).toMatch(
      /old Excel 97-2003 format \(\.xls\).*save it as an Excel Workbook \(\.xlsx\)/,
    );
  });

  it('refuses text that is not a ZIP, pointing CSV at the .csv extension', async () => {
    expect(await rejection(Buffer.from('a,b\n1,2\n'))).toMatch(
      /not an Excel workbook.*\.csv extension/,
    );
  });

  it('refuses a truncated archive as damaged', async () => {
    const whole = workbookBuffer({ Data: [['a'], [1]] });
    expect(await rejection(whole.subarray(0, whole.length - 30))).toMatch(
      /ZIP structure is damaged/,
    );
  });

  it.each([
    [
      'an OpenDocument file',
      [
        { name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.spreadsheet') },
        { name: 'content.xml', data: Buffer.from('<x/>') },
      ],
      /OpenDocument/,
    ],
    [
      'a Word document',
      [{ name: 'word/document.xml', data: Buffer.from('<w/>') }],
      /Word document/,
    ],
    ['an .xlsb workbook', [{ name: 'xl/workbook.bin', data: Buffer.from('bin') }], /\.xlsb/],
    ['any other ZIP', [{ name: 'readme.txt', data: Buffer.from('hello') }], /no workbook part/],
  ])('refuses %s, which has no xl/workbook.xml', async (_label, entries, message) => {
    expect(await rejection(buildZip(entries as ZipFixtureEntry[]))).toMatch(message);
  });

  it('refuses more entries than allowed', async () => {
    const many = [
      ...WORKBOOK_PARTS,
      ...Array.from({ length: 4 }, (_, i) => ({ name: `xl/p${i}.xml`, data: Buffer.from('x') })),
    ];
    expect(await rejection(buildZip(many), { maxEntries: 5 })).toMatch(
      /6 internal parts, more than the 5 accepted/,
    );
  });

  it('refuses an archive whose entries add up to more than the cap', async () => {
    // Random bytes barely compress, so only the total trips, not the ratio.
    const parts = Array.from({ length: 3 }, (_, i) => ({
      name: `xl/media/image${i}.bin`,
      data: randomBytes(400 * 1024),
    }));
    expect(
      await rejection(buildZip([...WORKBOOK_PARTS, ...parts]), { maxUncompressedBytes: MB }),
    ).toMatch(/would unpack to more than 1 MB/);
  });

  it('refuses a central directory that declares an absurd size', async () => {
    const entries = [
      ...WORKBOOK_PARTS,
      {
        name: 'xl/worksheets/sheet1.xml',
        data: Buffer.alloc(10),
        declaredUncompressedSize: 0xfffffff0,
      },
    ];
    expect(await rejection(buildZip(entries))).toMatch(
      /compressed more than 200 to 1|would unpack to more than/,
    );
  });

  it('refuses a ZIP bomb by its compression ratio', async () => {
    expect(await rejection(zipBombXlsx(20 * MB))).toMatch(
      /compressed more than 200 to 1.*ZIP bombs/,
    );
  });

  it('exempts small entries from the ratio check', async () => {
    await expect(check(zipBombXlsx(RATIO_EXEMPT_BYTES - 1))).resolves.toBeUndefined();
  });

  it('refuses local headers that disagree with the central directory', async () => {
    const lying = {
      name: 'xl/worksheets/sheet1.xml',
      data: Buffer.from('<x/>'),
      localUncompressedSize: 0xfffffff0,
    };
    expect(await rejection(buildZip([...WORKBOOK_PARTS, lying]))).toMatch(
      /ZIP structure is damaged/,
    );
  });

  it('refuses encrypted entries as password-protected', async () => {
    const encrypted = { name: 'xl/worksheets/sheet1.xml', data: Buffer.from('<x/>'), flags: 0x01 };
    expect(await rejection(buildZip([...WORKBOOK_PARTS, encrypted]))).toMatch(/password-protected/);
  });

  it('refuses compression methods other than stored and deflate', async () => {
    const bzip2 = {
      name: 'xl/worksheets/sheet1.xml',
      data: Buffer.from('<x/>'),
      compressionMethod: 12,
    };
    expect(await rejection(buildZip([...WORKBOOK_PARTS, bzip2]))).toMatch(
      /unsupported ZIP compression method/,
    );
  });
});
