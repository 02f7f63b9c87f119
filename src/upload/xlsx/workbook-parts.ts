import { SaxesParser, SaxesTagNS } from 'saxes';
import { TextDecoder } from 'node:util';
import { posix } from 'node:path';

/**
 * The small parts of a workbook, read with saxes as openpyxl reads them (read-only,
 * data-only): the content types, the workbook (sheets, date system), its relationships,
 * the styles (which cell styles are dates) and the shared strings.
 */

const RELATIONSHIPS_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const SHARED_STRINGS_TYPE =
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml';
/** openpyxl's workbook content types, in the order it looks for them (XLTM, XLTX, XLSM, XLSX). */
const WORKBOOK_TYPES = [
  'application/vnd.ms-excel.template.macroEnabled.main+xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml',
  'application/vnd.ms-excel.sheet.macroEnabled.main+xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
];

/** A part is not well-formed XML (saxes' message). */
export class PartXmlError extends Error {}

/** Text decoded from a part's bytes: UTF-8 unless a UTF-16 byte-order mark says otherwise. */
export class PartDecoder {
  private decoder?: TextDecoder;

  decode(chunk: Buffer, final = false): string {
    if (!this.decoder) {
      const utf16 =
        chunk[0] === 0xff && chunk[1] === 0xfe
          ? 'utf-16le'
          : chunk[0] === 0xfe && chunk[1] === 0xff
            ? 'utf-16be'
            : 'utf-8';
      // fatal: bytes that are not the encoding make the part unreadable, as expat has it.
      this.decoder = new TextDecoder(utf16, { fatal: true, ignoreBOM: false });
    }
    try {
      return this.decoder.decode(chunk, { stream: !final });
    } catch {
      throw new PartXmlError('the part is not valid UTF-8 or UTF-16 text');
    }
  }
}

type Handlers = {
  open?: (tag: SaxesTagNS, depth: number) => void;
  close?: (tag: SaxesTagNS, depth: number) => void;
  text?: (text: string, depth: number) => void;
};

/** A saxes parser (namespaces resolved) wired to handlers that are told each element's depth. */
export function xmlParser(handlers: Handlers): { write(text: string): void; close(): void } {
  const parser = new SaxesParser({ xmlns: true, position: false });
  let depth = 0;
  parser.on('opentag', (tag) => {
    depth++;
    handlers.open?.(tag, depth);
    if (tag.isSelfClosing) {
      handlers.close?.(tag, depth);
      depth--;
    }
  });
  parser.on('closetag', (tag) => {
    if (tag.isSelfClosing) return;
    handlers.close?.(tag, depth);
    depth--;
  });
  if (handlers.text) {
    const text = handlers.text;
    parser.on('text', (t) => text(t, depth));
    parser.on('cdata', (t) => text(t, depth));
  }
  let failure: Error | undefined;
  parser.on('error', (e) => {
    failure ??= e;
  });
  const check = (): void => {
    if (failure) throw new PartXmlError(failure.message);
  };
  return {
    write(text: string) {
      parser.write(text);
      check();
    },
    close() {
      parser.close();
      check();
    },
  };
}

function parseWhole(bytes: Buffer, handlers: Handlers): void {
  const parser = xmlParser(handlers);
  parser.write(new PartDecoder().decode(bytes, true).replace(/^\uFEFF/, ''));
  parser.close();
}

const attr = (tag: SaxesTagNS, local: string, uri = ''): string | undefined => {
  for (const a of Object.values(tag.attributes))
    if (a.local === local && a.uri === uri) return a.value;
  return undefined;
};

export interface ContentTypes {
  /** Part name (without the leading '/') of the workbook; undefined when none is declared. */
  workbook?: string;
  sharedStrings?: string;
}

/** openpyxl's Manifest reading and `_find_workbook_part`. */
export function parseContentTypes(bytes: Buffer): ContentTypes {
  const overrides: { part: string; type: string }[] = [];
  const defaults = new Set<string>();
  parseWhole(bytes, {
    open(tag, depth) {
      if (depth !== 2) return;
      const type = attr(tag, 'ContentType') ?? '';
      if (tag.local === 'Override') overrides.push({ part: attr(tag, 'PartName') ?? '', type });
      else if (tag.local === 'Default') defaults.add(type);
    },
  });
  const find = (type: string): string | undefined =>
    overrides.find((o) => o.type === type)?.part.replace(/^\//, '');
  let workbook: string | undefined;
  for (const type of WORKBOOK_TYPES) workbook ??= find(type);
  if (workbook === undefined && WORKBOOK_TYPES.some((t) => defaults.has(t)))
    workbook = 'xl/workbook.xml';
  return { workbook, sharedStrings: find(SHARED_STRINGS_TYPE) };
}

export interface SheetEntry {
  name: string;
  /** The r:id relationship; undefined when missing (openpyxl drops such a sheet). */
  relationId?: string;
}

export interface WorkbookInfo {
  sheets: SheetEntry[];
  date1904: boolean;
}

/** openpyxl's descriptor Bool: 'false', 'f' and '0' are false, any other non-empty text true. */
const pyBool = (value: string | undefined): boolean =>
  value !== undefined && value !== '' && !['false', 'f', '0'].includes(value);

export function parseWorkbook(bytes: Buffer): WorkbookInfo {
  const sheets: SheetEntry[] = [];
  let date1904 = false;
  let inSheets = false;
  parseWhole(bytes, {
    open(tag, depth) {
      if (depth === 2 && tag.local === 'workbookPr') date1904 = pyBool(attr(tag, 'date1904'));
      else if (depth === 2 && tag.local === 'sheets') inSheets = true;
      else if (depth === 3 && inSheets && tag.local === 'sheet') {
        sheets.push({
          name: attr(tag, 'name') ?? '',
          relationId: attr(tag, 'id', RELATIONSHIPS_NS),
        });
      }
    },
    close(tag, depth) {
      if (depth === 2 && tag.local === 'sheets') inSheets = false;
    },
  });
  return { sheets, date1904 };
}

export interface Relationship {
  type: string;
  /** Archive path of the target (openpyxl's get_dependents), or the raw target when external. */
  target: string;
  external: boolean;
}

/** Relationships by Id (the first of a repeated Id wins, as openpyxl's lookup finds it). */
export function parseRelationships(bytes: Buffer, relsPath: string): Map<string, Relationship> {
  const rels = new Map<string, Relationship>();
  const parent = posix.dirname(posix.dirname(relsPath));
  parseWhole(bytes, {
    open(tag, depth) {
      if (depth !== 2 || tag.local !== 'Relationship') return;
      const id = attr(tag, 'Id') ?? '';
      const raw = attr(tag, 'Target') ?? '';
      const external = attr(tag, 'TargetMode') === 'External';
      const target = external
        ? raw
        : raw.startsWith('/')
          ? raw.slice(1)
          : posix.normalize(posix.join(parent, raw));
      if (!rels.has(id)) rels.set(id, { type: attr(tag, 'Type') ?? '', target, external });
    },
  });
  return rels;
}

/** openpyxl's `get_rels_path`: xl/workbook.xml → xl/_rels/workbook.xml.rels. */
export function relsPathOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
}

export interface Styles {
  /** numFmtId of each `<cellXfs><xf>`, in order. */
  cellXfNumFmtIds: number[];
  /** Custom number formats by id. */
  customFormats: Map<number, string>;
}

export function parseStyles(bytes: Buffer): Styles {
  const cellXfNumFmtIds: number[] = [];
  const customFormats = new Map<number, string>();
  let section = '';
  parseWhole(bytes, {
    open(tag, depth) {
      if (depth === 2) section = tag.local;
      else if (depth === 3 && section === 'numFmts' && tag.local === 'numFmt') {
        const id = Number(attr(tag, 'numFmtId'));
        if (Number.isInteger(id)) customFormats.set(id, attr(tag, 'formatCode') ?? '');
      } else if (depth === 3 && section === 'cellXfs' && tag.local === 'xf') {
        const id = Number(attr(tag, 'numFmtId') ?? 0);
        cellXfNumFmtIds.push(Number.isInteger(id) ? id : 0);
      }
    },
    close(_tag, depth) {
      if (depth === 2) section = '';
    },
  });
  return { cellXfNumFmtIds, customFormats };
}

/**
 * Reads the shared strings as openpyxl's `read_string_table`: each `<si>` is the text of
 * its `<t>` (the last one when repeated) followed by its rich-text runs' `<t>`, with
 * 'x005F_' removed; phonetic runs are left out. Feed it text, then call `finish()`.
 */
export class SharedStringsReader {
  readonly strings: string[] = [];
  private siDepth = 0;
  private plain: string | undefined;
  private runs: string[] = [];
  private runDepth = 0;
  private capture?: { depth: number; text: string; into: 'plain' | 'run'; ended: boolean };
  private runText: string | undefined;
  private readonly parser = xmlParser({
    open: (tag, depth) => this.open(tag, depth),
    close: (tag, depth) => this.close(tag, depth),
    text: (text, depth) => {
      const c = this.capture;
      if (c && !c.ended && depth === c.depth) c.text += text;
    },
  });
  private first = true;

  write(text: string): void {
    this.parser.write(this.first ? text.replace(/^\uFEFF/, '') : text);
    this.first = false;
  }

  finish(): string[] {
    this.parser.close();
    return this.strings;
  }

  private open(tag: SaxesTagNS, depth: number): void {
    // ElementTree's .text is the text before the first child element.
    if (this.capture && depth > this.capture.depth) this.capture.ended = true;
    if (this.siDepth === 0) {
      if (tag.local === 'si') {
        this.siDepth = depth;
        this.plain = undefined;
        this.runs = [];
      }
    } else if (depth === this.siDepth + 1) {
      if (tag.local === 't') this.capture = { depth, text: '', into: 'plain', ended: false };
      else if (tag.local === 'r') {
        this.runDepth = depth;
        this.runText = undefined;
      }
    } else if (this.runDepth !== 0 && depth === this.runDepth + 1 && tag.local === 't') {
      this.capture = { depth, text: '', into: 'run', ended: false };
    }
  }

  private close(_tag: SaxesTagNS, depth: number): void {
    const c = this.capture;
    if (c && depth === c.depth) {
      if (c.into === 'plain') this.plain = c.text;
      else this.runText = c.text;
      this.capture = undefined;
    }
    if (depth === this.runDepth) {
      if (this.runText !== undefined) this.runs.push(this.runText);
      this.runDepth = 0;
    } else if (depth === this.siDepth) {
      this.strings.push(((this.plain ?? '') + this.runs.join('')).replace(/x005F_/g, ''));
      this.siDepth = 0;
    }
  }
}
