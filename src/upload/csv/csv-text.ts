import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { analyse as icuAnalyse } from 'chardet';
import { chardet } from 'jschardet';
import { UploadRejected } from '../../common/errors/domain-errors';

export interface PreparedCsvText {
  /** The file DuckDB should read: the original path when it is already clean UTF-8 with no sep= line, else a UTF-8 copy written in `workDir`. */
  path: string;
  /** Python codec name of the encoding chosen: 'utf-8', 'utf-8-sig', 'utf-16', 'utf-16-le', 'cp1252', 'iso8859-7', 'cp932', 'gb18030', 'big5hkscs', 'cp949', ... */
  encoding: string;
  /** Delimiter from an Excel `sep=X` first line (that line removed from `path`), else null. */
  sepLine: string | null;
  /** Plain sentences for UploadResponse.warnings: the encoding chosen and why, the lines where bytes were replaced, the sep= line honoured. */
  warnings: string[];
}

export interface PrepareCsvTextOptions {
  /** Read the file in this encoding instead of detecting it (a Python codec name or a WHATWG label). */
  encoding?: string;
}

/** Name of the UTF-8 copy in `workDir`. */
export const UTF8_COPY_NAME = 'normalized-utf8.csv';

const READ_BYTES = 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
/** jschardet's own default window; more text does not change its answer. */
const DETECT_SAMPLE_BYTES = 200_000;
const LISTED_LINES = 10;
/** Detector answers compared for a tie (they come sorted by confidence). */
const TIE_CANDIDATES = 12;
const REPLACEMENT = '\ufffd';

/**
 * jschardet's (Python codec) names → the WHATWG label Node's TextDecoder decodes them with.
 * Detection is limited to these, so every answer can be decoded without another library
 * (Node's ICU has no ISO-8859-16; UTF-32, UTF-7, HZ and the DOS/EBCDIC pages are left out).
 * Listed commonest first: of several names that decode a file alike, the first is reported.
 */
const DECODER_LABELS: Readonly<Record<string, string>> = {
  ascii: 'utf-8',
  'utf-8': 'utf-8',
  'utf-8-sig': 'utf-8',
  'utf-16': 'utf-16le',
  'utf-16-le': 'utf-16le',
  'utf-16-be': 'utf-16be',
  cp1252: 'windows-1252',
  cp1250: 'windows-1250',
  cp1251: 'windows-1251',
  cp1253: 'windows-1253',
  cp1254: 'windows-1254',
  cp1255: 'windows-1255',
  cp1256: 'windows-1256',
  cp1257: 'windows-1257',
  cp1258: 'windows-1258',
  cp874: 'windows-874',
  cp932: 'shift_jis',
  shift_jis_2004: 'shift_jis',
  gb18030: 'gb18030',
  big5hkscs: 'big5',
  cp949: 'euc-kr',
  euc_kr: 'euc-kr',
  euc_jis_2004: 'euc-jp',
  iso2022_jp_2: 'iso-2022-jp',
  iso2022_jp_2004: 'iso-2022-jp',
  iso2022_jp_ext: 'iso-2022-jp',
  'iso8859-1': 'windows-1252',
  'iso8859-15': 'iso-8859-15',
  'iso8859-2': 'iso-8859-2',
  'iso8859-5': 'iso-8859-5',
  'iso8859-7': 'iso-8859-7',
  'iso8859-9': 'windows-1254',
  'iso8859-3': 'iso-8859-3',
  'iso8859-4': 'iso-8859-4',
  'iso8859-6': 'iso-8859-6',
  'iso8859-8': 'iso-8859-8',
  'iso8859-10': 'iso-8859-10',
  'iso8859-13': 'iso-8859-13',
  'iso8859-14': 'iso-8859-14',
  'tis-620': 'windows-874',
  'koi8-r': 'koi8-r',
  'koi8-u': 'koi8-u',
  'mac-roman': 'macintosh',
  'mac-cyrillic': 'x-mac-cyrillic',
  cp866: 'ibm866',
};
const DETECTABLE = Object.keys(DECODER_LABELS);
const WESTERN = ['cp1252', 'iso8859-1', 'iso8859-15'];
/** See detectEncoding; 0.5-0.6 were best on our samples, 0.6 costs Polish less. */
const WESTERN_RATIO = 0.6;
/** Encodings that read bytes 0x80-0x9F as C1 control characters, which real text never holds. */
const C1_AS_CONTROLS = DETECTABLE.filter((name) => /^(iso8859-|tis-620)/.test(name));

/**
 * Node ≥20.18.3 decodes windows-1252 as Latin-1 (nodejs/node#60888): 0x80-0x9F come out as
 * C1 controls instead of € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ.
 */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const NODE_CP1252_IS_LATIN1 = new TextDecoder('windows-1252').decode(Uint8Array.of(0x80)) !== '€';

type Bom = 'utf-8' | 'utf-16le' | 'utf-16be';

interface Utf8Scan {
  /** Valid multi-byte UTF-8 characters. */
  valid: number;
  /** Maximal invalid subsequences: each becomes one U+FFFD, as TextDecoder and Python's errors="replace" do. */
  invalid: number;
  lines: LineList;
  /** For the detector: the first lines (context for small files), then only those with non-ASCII bytes. */
  sample: Buffer;
}

/** Physical lines (1-based; LF, CRLF or a lone CR ends one): the first few and how many. */
interface LineList {
  first: number[];
  count: number;
  last: number;
}

interface DecodePlan {
  /** What `encoding` reports. */
  encoding: string;
  /** TextDecoder label. */
  label: string;
  /** Count U+FFFD in the output and report their lines (the UTF-8 path counts bytes instead). */
  trackReplacements: boolean;
}

/**
 * Turns an uploaded CSV's bytes into UTF-8 text that DuckDB can read.
 *
 * - Valid UTF-8 (with or without BOM) and no `sep=` line: one sequential read of the file
 *   (validated in 1 MiB chunks) and the original path comes back untouched.
 * - UTF-8 with a few stray bytes: read as UTF-8, only those bytes replaced by U+FFFD.
 * - UTF-16 (BOM, or none when the NUL bytes say so) and legacy code pages (detected by
 *   jschardet, with chardet's vote on Western text): transcoded, streaming, into
 *   `workDir/normalized-utf8.csv`. A UTF-8 BOM is dropped there, the TextDecoder way.
 * - An Excel `sep=X` first line is dropped and its delimiter returned.
 * Line endings are kept as they are (DuckDB reads CR-only files itself).
 *
 * @param path the uploaded file
 * @param workDir a writable directory for the UTF-8 copy (the caller removes it)
 * @throws UploadRejected for binary data and for UTF-32 or an unknown `options.encoding`
 */
export async function prepareCsvText(
  path: string,
  workDir: string,
  options: PrepareCsvTextOptions = {},
): Promise<PreparedCsvText> {
  const head = await readHead(path);
  const bom = bomOf(head);
  const target = utf8CopyPath(path, workDir);

  if (options.encoding !== undefined) {
    const label = decoderLabel(options.encoding);
    const plan = { encoding: options.encoding, label, trackReplacements: true };
    return transcode(path, target, plan, head, [
      `The file was read as ${options.encoding}, as requested.`,
    ]);
  }
  if (bom === 'utf-16le' || bom === 'utf-16be') {
    const plan = { encoding: 'utf-16', label: bom, trackReplacements: true };
    const why =
      'The file is UTF-16 text (it starts with a byte-order mark); it was converted to UTF-8.';
    return transcode(path, target, plan, head, [why]);
  }
  if (bom === null && head.includes(0)) {
    const label = utf16WithoutBom(head);
    const encoding = label === 'utf-16le' ? 'utf-16-le' : 'utf-16-be';
    const plan = { encoding, label, trackReplacements: true };
    const why = `The file is UTF-16 text without a byte-order mark (${encoding}, detected from its bytes); it was converted to UTF-8.`;
    return transcode(path, target, plan, head, [why]);
  }

  const start = bom === 'utf-8' ? 3 : 0;
  const utf8Encoding = bom === 'utf-8' ? 'utf-8-sig' : 'utf-8';
  if (await isUtf8File(path, start)) {
    const sep = findSepLine(new TextDecoder().decode(head.subarray(start)));
    if (!sep) return { path, encoding: utf8Encoding, sepLine: null, warnings: [] };
    const skip = start + Buffer.byteLength(sep.text, 'utf8');
    await pipeline(createReadStream(path, { start: skip }), createWriteStream(target));
    return {
      path: target,
      encoding: utf8Encoding,
      sepLine: sep.delimiter,
      warnings: [sepWarning(sep)],
    };
  }

  const scan = await scanUtf8(path, start);
  // A legacy code page rarely forms valid multi-byte UTF-8 by chance: the share of valid
  // sequences among all non-ASCII ones measured ≤ 0.25 on Shift_JIS/EUC-JP/GBK/Big5/EUC-KR
  // samples (lead+trail pairs that happen to fit), 0 on cp125x/ISO-8859 text, and 0.42 on
  // contrived all-capitals French. A UTF-8 file with stray bytes is near 1. When valid
  // characters outnumber invalid ones, reading as UTF-8 also damages fewer characters
  // (only the invalid ones) than re-decoding everything in another code page would.
  if (scan.valid > scan.invalid) {
    const plan = { encoding: utf8Encoding, label: 'utf-8', trackReplacements: false };
    const why =
      `${count(scan.invalid, 'byte sequence')} not valid UTF-8 ${scan.invalid === 1 ? 'was' : 'were'} ` +
      `replaced with \ufffd (U+FFFD) on ${lineList(scan.lines)}; the rest of the file is UTF-8 and was read as such.`;
    return transcode(path, target, plan, head, [why]);
  }
  const encoding = detectEncoding(scan.sample);
  const plan = { encoding, label: DECODER_LABELS[encoding], trackReplacements: true };
  const total = scan.invalid + scan.valid;
  const evidence =
    scan.valid > 0
      ? `${scan.invalid.toLocaleString('en-US')} of its ${total.toLocaleString('en-US')} non-ASCII characters are not valid UTF-8`
      : total === 1
        ? 'its one non-ASCII character is not valid UTF-8'
        : `none of its ${total.toLocaleString('en-US')} non-ASCII characters is valid UTF-8`;
  const why =
    `The file is not UTF-8 (${evidence}), so it was read as ${encoding}, the encoding detected ` +
    'from its text. If letters look wrong, save the file as UTF-8 and upload it again.';
  return transcode(path, target, plan, head, [why]);
}

/**
 * The encoding of `sample` (bytes that are not UTF-8) as a Python codec name that
 * `DECODER_LABELS` can decode.
 *
 * jschardet decides: on our samples it is right far more often than chardet (ICU's detector)
 * for Cyrillic, Greek, Central European, Turkish and CJK text and for short files. On Western
 * European text it often prefers a sibling page (cp1250, ISO-8859-4, Mac Cyrillic) that
 * garbles à è ì ò ñ, where ICU, biased towards Latin-1, is nearly always right. So a Western
 * page wins when ICU names one and jschardet rates it at least WESTERN_RATIO of its own best.
 * Decoded exactly right, of 4,680 generated CSVs (1,900 Western, 2,780 other, 1-128 non-ASCII
 * letters each): jschardet alone 80% / 93%, ICU alone 97% / 46%, this rule 97% / 90%; what it
 * costs is Polish, Turkish and Mac Roman files with fewer than ~8-16 accented letters.
 *
 * Text holding bytes 0x80-0x9F is not ISO-8859 (they would be C1 controls there). Of the
 * answers that decode the sample alike, the commonest name is reported (jschardet ties
 * ISO-8859-1, -3, -15 and cp1252 on plain French).
 */
export function detectEncoding(sample: Uint8Array): string {
  const withC1 = sample.some((b) => b >= 0x80 && b <= 0x9f);
  const allowed = withC1 ? DETECTABLE.filter((name) => !C1_AS_CONTROLS.includes(name)) : DETECTABLE;
  const ranked = chardet
    .detectAll(sample, {
      compatNames: false,
      encodingEra: chardet.EncodingEra.ALL,
      includeEncodings: allowed,
      ignoreThreshold: true,
    })
    .filter((r) => r.encoding !== null && r.encoding !== 'ascii' && r.encoding in DECODER_LABELS);
  if (ranked.length === 0) return 'cp1252';
  let best = ranked[0];
  const western = ranked.find((r) => WESTERN.includes(r.encoding ?? ''));
  if (!WESTERN.includes(best.encoding ?? '') && western) {
    const icu = icuAnalyse(sample)[0];
    const icuWestern = icu?.name === 'ISO-8859-1' || icu?.name === 'windows-1252';
    if (icuWestern && western.confidence >= WESTERN_RATIO * best.confidence) best = western;
  }
  const text = decodeSample(sample, best.encoding!);
  const alike = ranked
    .slice(0, TIE_CANDIDATES)
    .map((r) => r.encoding!)
    .filter((name) => decodeSample(sample, name) === text);
  return [best.encoding!, ...alike].sort(
    (a, b) => DETECTABLE.indexOf(a) - DETECTABLE.indexOf(b),
  )[0];
}

function decodeSample(sample: Uint8Array, encoding: string): string {
  const label = DECODER_LABELS[encoding];
  const text = new TextDecoder(label).decode(sample);
  return NODE_CP1252_IS_LATIN1 && label === 'windows-1252' ? fixCp1252(text) : text;
}

function fixCp1252(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

interface SepLine {
  delimiter: string;
  /** The line as written, with its line break. */
  text: string;
}

/**
 * Excel's delimiter hint: `sep=;` alone on the first line (exporters write it unquoted;
 * `"sep=<TAB>"` is quoted so editors keep the tab). Trailing copies of the delimiter
 * (empty cells added when another tool re-saved the file) are allowed.
 */
function findSepLine(text: string): SepLine | null {
  const match = /^(?:"sep=([^\r\n"])"|sep=([^\r\n"]))([^\r\n]*)(\r\n|\n|\r|$)/i.exec(text);
  if (!match) return null;
  const delimiter = match[1] ?? match[2];
  const rest = match[3].replace(/[ \t]+$/, '');
  if (/[A-Za-z0-9]/.test(delimiter) || [...rest].some((c) => c !== delimiter)) return null;
  return { delimiter, text: match[0] };
}

function sepWarning(sep: SepLine): string {
  const shown = sep.delimiter === '\t' ? 'tab' : `'${sep.delimiter}'`;
  return `The first line '${sep.text.trimEnd()}' is Excel's delimiter hint: the delimiter is ${shown}, and that line was not read as data.`;
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function bomOf(head: Buffer): Bom | null {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) {
    if (head[2] === 0 && head[3] === 0) throw utf32();
    return 'utf-16le';
  }
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff) throw utf32();
  return null;
}

function utf32(): UploadRejected {
  return new UploadRejected('The file is UTF-32 text, which is not supported: save it as UTF-8');
}

/**
 * A head with NUL bytes is UTF-16 if jschardet says so, else binary. Its byte order is
 * taken from where the NULs sit (high bytes of ASCII delimiters and digits): jschardet
 * swapped LE and BE on 4 of 36 BOM-less CSV samples.
 */
function utf16WithoutBom(head: Buffer): 'utf-16le' | 'utf-16be' {
  const found = chardet.detect(head, { compatNames: false }).encoding;
  if (found?.startsWith('utf-32')) throw utf32();
  if (found !== 'utf-16-le' && found !== 'utf-16-be') {
    throw new UploadRejected('This is not a CSV text file: it contains binary data');
  }
  let even = 0;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  return odd > even ? 'utf-16le' : 'utf-16be';
}

function decoderLabel(encoding: string): string {
  const name = encoding.trim().toLowerCase().replace(/_/g, '-');
  const known = Object.keys(DECODER_LABELS).find((k) => k.replace(/_/g, '-') === name);
  const label = known ? DECODER_LABELS[known] : name;
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw new UploadRejected(`Unknown or unsupported encoding '${encoding}'`);
  }
}

function utf8CopyPath(path: string, workDir: string): string {
  const target = join(workDir, UTF8_COPY_NAME);
  return resolve(target) === resolve(path) ? join(workDir, `2-${UTF8_COPY_NAME}`) : target;
}

/** Length of the prefix of `buffer[0..end)` that does not end inside a UTF-8 sequence. */
function completePrefix(buffer: Buffer, end: number): number {
  for (let back = 1; back <= Math.min(3, end); back++) {
    const byte = buffer[end - back];
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? end - back : end;
  }
  return end;
}

/** One sequential read, validated with simdutf (`buffer.isUtf8`) chunk by chunk. */
async function isUtf8File(path: string, start: number): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let position = start;
    let carry = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, carry, READ_BYTES - carry, position);
      position += bytesRead;
      const end = carry + bytesRead;
      if (bytesRead === 0) return carry === 0;
      const cut = completePrefix(buffer, end);
      if (!isUtf8(buffer.subarray(0, cut))) return false;
      buffer.copyWithin(0, cut, end);
      carry = end - cut;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Counts valid multi-byte characters and invalid sequences the way the WHATWG UTF-8 decoder
 * emits U+FFFD, notes the physical lines (ended by LF, CRLF or CR) holding the invalid ones,
 * and keeps lines with non-ASCII bytes as the detector's sample.
 */
async function scanUtf8(path: string, start: number): Promise<Utf8Scan> {
  let valid = 0;
  let invalid = 0;
  const lines: LineList = { first: [], count: 0, last: 0 };
  const sample: Buffer[] = [];
  let sampled = 0;
  let line = 1;
  let lastCR = false;
  let need = 0;
  let lower = 0x80;
  let upper = 0xbf;
  const bad = (): void => {
    invalid++;
    noteLine(lines, line);
  };
  for await (const chunk of createReadStream(path, { start, highWaterMark: READ_BYTES })) {
    const bytes = chunk as Buffer;
    let lineStart = 0;
    let hot = false;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (need > 0) {
        if (byte >= lower && byte <= upper) {
          lower = 0x80;
          upper = 0xbf;
          if (--need === 0) valid++;
          continue;
        }
        need = 0;
        lower = 0x80;
        upper = 0xbf;
        bad();
      }
      if (byte < 0x80) {
        if (byte === 0x0a || byte === 0x0d) {
          if (byte === 0x0d || !lastCR) line++;
          lastCR = byte === 0x0d;
          if ((hot || sampled < HEAD_BYTES) && sampled < DETECT_SAMPLE_BYTES) {
            sample.push(Buffer.from(bytes.subarray(lineStart, i + 1)));
            sampled += i + 1 - lineStart;
          }
          hot = false;
          lineStart = i + 1;
        } else lastCR = false;
        continue;
      }
      lastCR = false;
      hot = true;
      if (byte >= 0xc2 && byte <= 0xdf) need = 1;
      else if (byte >= 0xe0 && byte <= 0xef) {
        need = 2;
        if (byte === 0xe0) lower = 0xa0;
        if (byte === 0xed) upper = 0x9f;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        need = 3;
        if (byte === 0xf0) lower = 0x90;
        if (byte === 0xf4) upper = 0x8f;
      } else bad();
    }
    if ((hot || sampled < HEAD_BYTES) && sampled < DETECT_SAMPLE_BYTES) {
      sample.push(Buffer.from(bytes.subarray(lineStart)));
      sampled += bytes.length - lineStart;
    }
  }
  if (need > 0) bad();
  return { valid, invalid, lines, sample: Buffer.concat(sample) };
}

/**
 * Decodes `path` with `plan`, streaming, into UTF-8 `target`, dropping a `sep=` first line.
 * Replacement characters the decoder produced are counted by physical line.
 */
async function transcode(
  path: string,
  target: string,
  plan: DecodePlan,
  head: Buffer,
  warnings: string[],
): Promise<PreparedCsvText> {
  const sep = findSepLine(new TextDecoder(plan.label).decode(head));
  const cp1252 = NODE_CP1252_IS_LATIN1 && plan.label === 'windows-1252';
  const decoder = new TextDecoder(plan.label);
  const replaced: LineList = { first: [], count: 0, last: 0 };
  let replacements = 0;
  let line = 1;
  let lastCR = false;
  let atStart = true;

  const countReplacements = (text: string): void => {
    if (!text.includes(REPLACEMENT)) {
      line += lineBreaks(text, lastCR);
      lastCR = text.endsWith('\r');
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x0a || code === 0x0d) {
        if (code === 0x0d || !lastCR) line++;
        lastCR = code === 0x0d;
        continue;
      }
      lastCR = false;
      if (code !== 0xfffd) continue;
      replacements++;
      noteLine(replaced, line);
    }
  };
  const convert = (text: string): string => {
    if (cp1252) text = fixCp1252(text);
    if (plan.trackReplacements && text.length > 0) countReplacements(text);
    if (atStart && text.length > 0) {
      atStart = false;
      // The sep line is a few ASCII characters, always inside the first decoded chunk.
      if (sep && text.startsWith(sep.text)) return text.slice(sep.text.length);
    }
    return text;
  };

  const toUtf8 = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, Buffer.from(convert(decoder.decode(chunk, { stream: true })), 'utf8'));
    },
    flush(done) {
      done(null, Buffer.from(convert(decoder.decode()), 'utf8'));
    },
  });
  await pipeline(
    createReadStream(path, { highWaterMark: READ_BYTES }),
    toUtf8,
    createWriteStream(target),
  );

  if (replacements > 0) {
    warnings.push(
      `${count(replacements, 'byte sequence')} not valid in ${plan.encoding} ${replacements === 1 ? 'was' : 'were'} ` +
        `replaced with \ufffd (U+FFFD) on ${lineList(replaced)}.`,
    );
  }
  if (sep) warnings.push(sepWarning(sep));
  return { path: target, encoding: plan.encoding, sepLine: sep?.delimiter ?? null, warnings };
}

/** Line breaks (LF, CRLF or a lone CR) in `text`; `afterCR`: the text before it ended with CR. */
function lineBreaks(text: string, afterCR: boolean): number {
  let breaks = occurrences(text, '\n') + occurrences(text, '\r') - occurrences(text, '\r\n');
  if (afterCR && text.startsWith('\n')) breaks--;
  return breaks;
}

function occurrences(text: string, part: string): number {
  let n = 0;
  for (let i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length)) n++;
  return n;
}

function noteLine(lines: LineList, line: number): void {
  if (lines.last === line) return;
  lines.last = line;
  lines.count++;
  if (lines.first.length < LISTED_LINES) lines.first.push(line);
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function lineList(lines: LineList): string {
  if (lines.count === 1) return `line ${lines.first[0]}`;
  const shown = lines.first.join(', ');
  return lines.count <= lines.first.length
    ? `${lines.count} lines: ${shown}`
    : `${lines.count.toLocaleString('en-US')} lines, the first ${lines.first.length}: ${shown}`;
}
