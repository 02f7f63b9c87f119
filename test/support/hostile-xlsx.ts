import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/**
 * Small workbooks that unpack to a lot (issue 9): each is written part by part, streamed
 * through yazl, so that generating a 500 MB shared-strings part costs the test a few MB.
 * Every file is a valid workbook that openpyxl opens.
 */

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const CT = 'application/vnd.openxmlformats-officedocument.spreadsheetml';
const CHUNK_CHARS = 1 << 20;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Text pieces of a part, produced lazily. */
type PartText = () => Iterable<string>;

/** 'a' repeated, with a pseudo-random letter every `noiseEvery` chars: deflates ~180:1, under the archive check. */
function* filler(length: number, seed: number, noiseEvery = 600): Iterable<string> {
  let state = seed;
  for (let done = 0; done < length;) {
    const n = Math.min(CHUNK_CHARS, length - done);
    const chars: string[] = [];
    for (let i = 0; i < n; i += noiseEvery) {
      state = (state * 1103515245 + 12345) % 2147483648;
      chars.push('a'.repeat(Math.min(noiseEvery, n - i) - 1), LETTERS[state % LETTERS.length]);
    }
    done += n;
    yield chars.join('');
  }
}

/** Column letters of a 1-based column number (1 → A, 16384 → XFD). */
export function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

function* batched(items: Iterable<string>): Iterable<string> {
  let batch: string[] = [];
  let size = 0;
  for (const item of items) {
    batch.push(item);
    size += item.length;
    if (size >= CHUNK_CHARS) {
      yield batch.join('');
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield batch.join('');
}

function* sheetOf(rows: Iterable<string>): Iterable<string> {
  yield `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData>`;
  yield* batched(rows);
  yield '</sheetData></worksheet>';
}

function* sharedStringsOf(count: number, strings: Iterable<string>): Iterable<string> {
  yield `${XML_HEAD}<sst xmlns="${MAIN_NS}" count="${count}" uniqueCount="${count}">`;
  yield* batched(strings);
  yield '</sst>';
}

const STYLES =
  `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
  '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>' +
  '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="4" applyNumberFormat="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

/** Writes a one-sheet workbook with the given sheet part and, if given, shared strings. */
async function writeWorkbook(
  path: string,
  sheet: PartText,
  sharedStrings?: PartText,
): Promise<void> {
  const zip = new ZipFile();
  const add = (name: string, text: PartText): void =>
    zip.addReadStreamLazy(name, (cb) =>
      cb(
        null,
        Readable.from(
          (function* () {
            for (const piece of text()) yield Buffer.from(piece, 'utf8');
          })(),
        ),
      ),
    );
  const sst = sharedStrings
    ? `<Override PartName="/xl/sharedStrings.xml" ContentType="${CT}.sharedStrings+xml"/>`
    : '';
  zip.addBuffer(
    Buffer.from(
      `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        `<Override PartName="/xl/workbook.xml" ContentType="${CT}.sheet.main+xml"/>` +
        `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="${CT}.worksheet+xml"/>` +
        `<Override PartName="/xl/styles.xml" ContentType="${CT}.styles+xml"/>${sst}</Types>`,
    ),
    '[Content_Types].xml',
  );
  zip.addBuffer(
    Buffer.from(
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
        `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    '_rels/.rels',
  );
  zip.addBuffer(
    Buffer.from(
      `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    'xl/workbook.xml',
  );
  zip.addBuffer(
    Buffer.from(
      `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
        `<Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>` +
        `<Relationship Id="rId2" Type="${REL_NS}/styles" Target="styles.xml"/>` +
        (sharedStrings
          ? `<Relationship Id="rId3" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>`
          : '') +
        '</Relationships>',
    ),
    'xl/_rels/workbook.xml.rels',
  );
  zip.addBuffer(Buffer.from(STYLES), 'xl/styles.xml');
  if (sharedStrings) add('xl/sharedStrings.xml', sharedStrings);
  add('xl/worksheets/sheet1.xml', sheet);
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await finished(out);
}

/** The hostile workbooks, by name: what each one is built to cost. */
export const HOSTILE_KINDS = [
  'long-shared-strings',
  'many-shared-strings',
  'styled-empty-cells',
  'long-inline-string',
  'wide-sheet',
  'huge-attribute',
  'one-shared-string-everywhere',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface HostileOptions {
  /** Characters the file unpacks to, roughly (default 512 MiB). */
  chars?: number;
  /** one-shared-string-everywhere: its columns, rows and string length (default 2,000 x 50, 10,000). */
  columns?: number;
  rows?: number;
  stringChars?: number;
}

/**
 * Writes one hostile workbook to `path`:
 * - long-shared-strings: 8 shared strings of chars/8 each (the report's 524 MB
 *   sharedStrings), each in one cell of column A;
 * - many-shared-strings: chars/24 short distinct shared strings, 10 cells use them;
 * - styled-empty-cells: rows of 16,384 styled cells without values (`<c r=".." s="1"/>`);
 * - long-inline-string: one inline string of `chars` characters;
 * - wide-sheet: 16,384 columns x 20 rows of numbers;
 * - huge-attribute: one cell with an unknown attribute of `chars` characters;
 * - one-shared-string-everywhere: one shared string of `stringChars` characters that every
 *   cell of `columns` x `rows` uses (the reviewer's 262 KB file that expands to ~1 GB of text).
 */
export async function writeHostileXlsx(
  path: string,
  kind: HostileKind,
  options: HostileOptions = {},
): Promise<void> {
  const chars = options.chars ?? 512 * 1024 * 1024;
  switch (kind) {
    case 'long-shared-strings': {
      const count = 8;
      const each = Math.floor(chars / count);
      return writeWorkbook(
        path,
        () =>
          sheetOf(
            Array.from(
              { length: count },
              (_, i) => `<row r="${i + 1}"><c r="A${i + 1}" t="s"><v>${i}</v></c></row>`,
            ),
          ),
        () =>
          sharedStringsOf(
            count,
            (function* () {
              for (let i = 0; i < count; i++) {
                yield '<si><t>';
                yield* filler(each, i + 1);
                yield '</t></si>';
              }
            })(),
          ),
      );
    }
    case 'many-shared-strings': {
      const count = Math.floor(chars / 24);
      return writeWorkbook(
        path,
        () =>
          sheetOf(
            Array.from(
              { length: 10 },
              (_, i) => `<row r="${i + 1}"><c r="A${i + 1}" t="s"><v>${i * 997}</v></c></row>`,
            ),
          ),
        () =>
          sharedStringsOf(
            count,
            (function* () {
              for (let i = 0; i < count; i++) yield `<si><t>s${i.toString(36)}</t></si>`;
            })(),
          ),
      );
    }
    case 'styled-empty-cells': {
      const perRow = 16_384;
      const cellChars = 24;
      const rows = Math.max(1, Math.floor(chars / (perRow * cellChars)));
      const letters = Array.from({ length: perRow }, (_, c) => columnLetters(c + 1));
      return writeWorkbook(path, () =>
        sheetOf(
          (function* () {
            for (let r = 1; r <= rows; r++) {
              yield `<row r="${r}">`;
              for (const l of letters) yield `<c r="${l}${r}" s="1"/>`;
              yield '</row>';
            }
          })(),
        ),
      );
    }
    case 'long-inline-string':
      return writeWorkbook(path, () =>
        (function* () {
          yield `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`;
          yield* filler(chars, 7);
          yield '</t></is></c></row></sheetData></worksheet>';
        })(),
      );
    case 'wide-sheet': {
      const width = 16_384;
      const letters = Array.from({ length: width }, (_, c) => columnLetters(c + 1));
      return writeWorkbook(path, () =>
        sheetOf(
          (function* () {
            for (let r = 1; r <= 20; r++) {
              yield `<row r="${r}">`;
              for (let c = 0; c < width; c++) yield `<c r="${letters[c]}${r}"><v>${r * c}</v></c>`;
              yield '</row>';
            }
          })(),
        ),
      );
    }
    case 'one-shared-string-everywhere': {
      const width = options.columns ?? 2_000;
      const height = options.rows ?? 50;
      const letters = Array.from({ length: width }, (_, c) => columnLetters(c + 1));
      return writeWorkbook(
        path,
        () =>
          sheetOf(
            (function* () {
              for (let r = 1; r <= height; r++) {
                yield `<row r="${r}">`;
                for (const l of letters) yield `<c r="${l}${r}" t="s"><v>0</v></c>`;
                yield '</row>';
              }
            })(),
          ),
        () =>
          sharedStringsOf(
            1,
            (function* () {
              yield '<si><t>';
              yield* filler(options.stringChars ?? 10_000, 5);
              yield '</t></si>';
            })(),
          ),
      );
    }
    case 'huge-attribute':
      return writeWorkbook(path, () =>
        (function* () {
          yield `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1"><c r="A1" x="`;
          yield* filler(chars, 11);
          yield '"><v>1</v></c></row></sheetData></worksheet>';
        })(),
      );
  }
}
