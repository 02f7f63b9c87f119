/**
 * A streaming reader for worksheet XML that reports rows and cells as openpyxl's
 * WorkSheetParser sees them. It is hand-written because the sheet is by far the largest
 * part of a workbook and saxes, the fastest well-kept SAX parser measured, takes about
 * five times as long on it (bench/xlsx.bench.ts prints both on the same sheet). The other
 * parts of a workbook are read with saxes (workbook-parts.ts).
 *
 * It checks well-formedness where a mistake would change what is read (tag nesting,
 * quoting, entities, CDATA, comments) and refuses a DOCTYPE (entity expansion).
 */

/** A cell as it stands in the XML; the caller converts it as openpyxl does. */
export interface RawCell {
  /** The `r` attribute (A1 reference), if any. */
  ref: string | undefined;
  /** The `t` attribute, if any. */
  type: string | undefined;
  /** The `s` attribute, if any. */
  style: string | undefined;
  /** Text of the first `<v>` child; undefined without one. */
  value: string | undefined;
  /** Text of the first `<is>` child (its `<t>` and rich-text runs); undefined without one. */
  inline: string | undefined;
}

export interface SheetEvents {
  rowStart(r: string | undefined): void;
  cell(cell: RawCell): void;
  rowEnd(): void;
}

/** The sheet XML is not well-formed, or uses what we refuse (a DTD). */
export class SheetXmlError extends Error {}

/** One tag, comment or CDATA section, or one cell's text, is longer than MAX_MARKUP_CHARS. */
export class MarkupTooLong extends Error {
  constructor(readonly what: 'markup' | 'cell') {
    super(what);
  }
}

/** Text longer than this without a tag is passed on in pieces rather than held whole. */
const MAX_HELD_TEXT = 1 << 20;
/**
 * Most characters one tag, comment or CDATA section may take. Each is held whole until it
 * ends (and re-joined with every chunk), so without a bound a 500 MB attribute costs
 * gigabytes and minutes; Excel's longest tags (sqref lists, formulas) are kilobytes.
 */
export const MAX_MARKUP_CHARS = 16 << 20;
const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;

const isBlank = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

const PREDEFINED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};
// eslint-disable-next-line no-control-regex -- these are the characters XML 1.0 forbids
const INVALID_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** Expands the five predefined entities and character references; anything else is an error. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&]*);|&/g, (whole, name: string | undefined) => {
    if (name === undefined) throw new SheetXmlError('a bare & in text');
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(name);
    if (!m) throw new SheetXmlError(`undefined entity ${whole}`);
    const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
    if (!isXmlChar(code)) throw new SheetXmlError(`reference to an invalid character ${whole}`);
    return String.fromCodePoint(code);
  });
}

/** XML end-of-line handling: CR LF and a lone CR are LF. */
const normalizeNewlines = (text: string): string =>
  text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;

function checkChars(text: string): void {
  if (INVALID_XML_CHAR.test(text)) throw new SheetXmlError('a character XML does not allow');
}

/** Where captured text goes. */
const enum Target {
  None,
  Value,
  Plain,
  Run,
}

/**
 * Feed it the sheet part's text in chunks (`write`), then `end()`. Rows are the `row`
 * elements (as openpyxl's iterparse finds them); every child element of a row is a cell,
 * as openpyxl's `parse_row` has it.
 */
export class SheetXmlReader {
  private buf = '';
  private pos = 0;
  private readonly stack: string[] = [];
  private rowDepth = 0;
  private cellDepth = 0;
  private isDepth = 0;
  private runDepth = 0;

  private target = Target.None;
  private targetDepth = 0;
  /** The captured text when it is one piece; `pieceRaw` is false for CDATA (no entities). */
  private piece: string | undefined;
  private pieceRaw = true;
  /** Captured text in several pieces. */
  private pieces: string[] = [];
  private piecesRaw: boolean[] = [];

  private cell: RawCell = {
    ref: undefined,
    type: undefined,
    style: undefined,
    value: undefined,
    inline: undefined,
  };
  private seenValue = false;
  private seenInline = false;
  /** Characters of text captured for the current cell (bounded by MAX_MARKUP_CHARS). */
  private cellChars = 0;
  private plain: string | undefined;
  private runs: string[] = [];
  private runText: string | undefined;
  private rootSeen = false;

  constructor(private readonly events: SheetEvents) {}

  write(chunk: string): void {
    checkChars(chunk);
    if (this.buf.length - this.pos > MAX_MARKUP_CHARS) throw new MarkupTooLong('markup');
    if (this.pos < this.buf.length) {
      // Number() flattens the concatenation, which makes charCodeAt fast again.
      const joined = this.buf.slice(this.pos) + chunk;
      Number(joined);
      this.buf = joined;
    } else {
      this.buf = chunk;
    }
    this.pos = 0;
    this.run(false);
  }

  end(): void {
    this.run(true);
    if (this.pos < this.buf.length) throw new SheetXmlError('the sheet ends inside a tag');
    if (this.stack.length > 0)
      throw new SheetXmlError(`<${this.stack[this.stack.length - 1]}> is not closed`);
    if (!this.rootSeen) throw new SheetXmlError('the sheet part has no root element');
  }

  private run(final: boolean): void {
    const buf = this.buf;
    const n = buf.length;
    let pos = this.pos;
    while (pos < n) {
      // Text between tags is usually short or empty: look a few characters ahead before indexOf.
      let lt = pos;
      const near = Math.min(n, pos + 16);
      while (lt < near && buf.charCodeAt(lt) !== LT) lt++;
      if (lt === near) lt = buf.indexOf('<', near);
      if (lt === -1) {
        if (!final && n - pos < MAX_HELD_TEXT) break;
        pos = this.text(buf, pos, final ? n : this.safeCut(buf, pos, n));
        if (!final) break;
        continue;
      }
      if (lt > pos) this.text(buf, pos, lt);
      pos = lt;
      const next = this.markup(buf, lt, n);
      if (next === -1) break;
      pos = next;
    }
    this.pos = pos;
  }

  /** End of a piece of long text that splits neither an entity nor a CR LF pair. */
  private safeCut(buf: string, start: number, end: number): number {
    let cut = end;
    const amp = buf.lastIndexOf('&', end - 1);
    if (amp >= start && buf.indexOf(';', amp) === -1) cut = amp;
    if (cut > start && buf.charCodeAt(cut - 1) === 0x0d) cut--;
    return cut;
  }

  private text(buf: string, start: number, end: number): number {
    if (this.target !== Target.None && this.stack.length === this.targetDepth) {
      this.addPiece(buf.slice(start, end), true);
    } else if (this.stack.length === 0) {
      for (let i = start; i < end; i++)
        if (!isBlank(buf.charCodeAt(i))) throw new SheetXmlError('text outside the root element');
    }
    return end;
  }

  /** Handles the markup at `lt`; returns the position after it, or -1 when it is not complete yet. */
  private markup(buf: string, lt: number, n: number): number {
    if (lt + 1 >= n) return -1;
    const c1 = buf.charCodeAt(lt + 1);
    if (c1 === SLASH) {
      // Usually the end tag of the open element: compare in place instead of slicing.
      const top = this.stack[this.stack.length - 1];
      if (top !== undefined && buf.startsWith(top, lt + 2)) {
        const after = lt + 2 + top.length;
        if (after >= n) return -1;
        if (buf.charCodeAt(after) === GT) {
          this.close(top);
          return after + 1;
        }
      }
      const gt = buf.indexOf('>', lt + 2);
      if (gt === -1) return -1;
      this.close(buf.slice(lt + 2, gt).trimEnd());
      return gt + 1;
    }
    if (c1 === 0x3f /* ? */) {
      const end = buf.indexOf('?>', lt + 2);
      return end === -1 ? -1 : end + 2;
    }
    if (c1 === 0x21 /* ! */) {
      if (buf.startsWith('<!--', lt)) {
        const end = buf.indexOf('-->', lt + 4);
        return end === -1 ? -1 : end + 3;
      }
      if (buf.startsWith('<![CDATA[', lt)) {
        const end = buf.indexOf(']]>', lt + 9);
        if (end === -1) return -1;
        if (this.stack.length === 0) throw new SheetXmlError('CDATA outside the root element');
        if (this.target !== Target.None && this.stack.length === this.targetDepth)
          this.addPiece(buf.slice(lt + 9, end), false);
        return end + 3;
      }
      if (n - lt < 9) return -1;
      throw new SheetXmlError('a DOCTYPE or other declaration inside the sheet');
    }
    return this.startTag(buf, lt, n);
  }

  private startTag(buf: string, lt: number, n: number): number {
    if (
      buf.charCodeAt(lt + 1) === 0x63 &&
      buf.charCodeAt(lt + 2) === 0x20 &&
      this.rowDepth !== 0 &&
      this.stack.length === this.rowDepth
    ) {
      const end = this.cellStartTag(buf, lt, n);
      if (end !== -1) return end;
    }
    let p = lt + 1;
    while (p < n) {
      const c = buf.charCodeAt(p);
      if (isBlank(c) || c === GT || c === SLASH) break;
      p++;
    }
    if (p >= n) return -1;
    const name = tagName(buf, lt + 1, p);
    if (name === '' || name.includes('<')) throw new SheetXmlError('a malformed tag');
    let ref: string | undefined;
    let type: string | undefined;
    let style: string | undefined;
    let selfClosing = false;
    for (;;) {
      while (p < n && isBlank(buf.charCodeAt(p))) p++;
      if (p >= n) return -1;
      const c = buf.charCodeAt(p);
      if (c === GT) {
        p++;
        break;
      }
      if (c === SLASH) {
        if (p + 1 >= n) return -1;
        if (buf.charCodeAt(p + 1) !== GT) throw new SheetXmlError('a malformed tag');
        selfClosing = true;
        p += 2;
        break;
      }
      const nameStart = p;
      while (p < n) {
        const a = buf.charCodeAt(p);
        if (isBlank(a) || a === EQUALS || a === GT || a === SLASH || a === LT) break;
        p++;
      }
      if (p >= n) return -1;
      const attrEnd = p;
      while (p < n && isBlank(buf.charCodeAt(p))) p++;
      if (p >= n) return -1;
      if (buf.charCodeAt(p) !== EQUALS || attrEnd === nameStart)
        throw new SheetXmlError('a malformed attribute');
      p++;
      while (p < n && isBlank(buf.charCodeAt(p))) p++;
      if (p >= n) return -1;
      const quote = buf.charCodeAt(p);
      if (quote !== 0x22 && quote !== 0x27) throw new SheetXmlError('an unquoted attribute');
      // A loop, not indexOf: values are short and a builtin call costs more than the scan.
      let close = p + 1;
      while (close < n && buf.charCodeAt(close) !== quote) close++;
      if (close >= n) return -1;
      // Only r, s and t (on rows and cells) are ever read.
      if (attrEnd - nameStart === 1) {
        const raw = buf.slice(p + 1, close);
        if (raw.includes('<')) throw new SheetXmlError('< in an attribute value');
        const a = buf.charCodeAt(nameStart);
        if (a === 0x72 /* r */) ref = attributeValue(raw);
        else if (a === 0x74 /* t */) type = attributeValue(raw);
        else if (a === 0x73 /* s */) style = attributeValue(raw);
      }
      p = close + 1;
    }
    if (
      name === 'c' &&
      !selfClosing &&
      this.stack.length === this.rowDepth &&
      this.rowDepth !== 0
    ) {
      const end = this.plainCell(buf, p, n, ref, type, style);
      if (end !== -1) return end;
    }
    this.open(name, ref, type, style);
    if (selfClosing) this.close(name);
    return p;
  }

  /**
   * `<c r="..." s="..." t="...">` with single spaces and double quotes, as every writer
   * spells it, read without the general attribute loop; -1 for any other shape.
   */
  private cellStartTag(buf: string, lt: number, n: number): number {
    let p = lt + 2;
    let ref: string | undefined;
    let type: string | undefined;
    let style: string | undefined;
    while (buf.charCodeAt(p) === 0x20) {
      const a = buf.charCodeAt(p + 1);
      if (buf.charCodeAt(p + 2) !== EQUALS || buf.charCodeAt(p + 3) !== 0x22) return -1;
      let q = p + 4;
      while (q < n) {
        const c = buf.charCodeAt(q);
        if (c === 0x22) break;
        if (c === 0x26 || c === LT || c < 0x20) return -1;
        q++;
      }
      if (q >= n) return -1;
      if (a === 0x72) ref = buf.slice(p + 4, q);
      else if (a === 0x73) style = buf.slice(p + 4, q);
      else if (a === 0x74) type = buf.slice(p + 4, q);
      else return -1;
      p = q + 1;
    }
    if (buf.charCodeAt(p) !== GT) return -1;
    const end = this.plainCell(buf, p + 1, n, ref, type, style);
    if (end !== -1) return end;
    this.open('c', ref, type, style);
    return p + 1;
  }

  /**
   * The common cell `<c ...><v>text</v></c>` read at once (most of a sheet's markup);
   * -1 when the cell has another shape or is not all in the buffer yet (the general path
   * then reads it).
   */
  private plainCell(
    buf: string,
    p: number,
    n: number,
    ref: string | undefined,
    type: string | undefined,
    style: string | undefined,
  ): number {
    if (
      p + 3 > n ||
      buf.charCodeAt(p) !== LT ||
      buf.charCodeAt(p + 1) !== 0x76 ||
      buf.charCodeAt(p + 2) !== GT
    )
      return -1;
    let lt = p + 3;
    while (lt < n && buf.charCodeAt(lt) !== LT) lt++;
    if (lt + 8 > n || !isPlainCellEnd(buf, lt)) return -1;
    let value = buf.slice(p + 3, lt);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x26 || c === 0x0d) {
        value = decodeEntities(normalizeNewlines(value));
        break;
      }
    }
    const cell = this.cell;
    cell.ref = ref;
    cell.type = type;
    cell.style = style;
    cell.value = value;
    cell.inline = undefined;
    this.events.cell(cell);
    return lt + 8;
  }

  private open(
    name: string,
    ref: string | undefined,
    type: string | undefined,
    style: string | undefined,
  ): void {
    if (this.stack.length === 0) {
      if (this.rootSeen) throw new SheetXmlError('a second root element');
      this.rootSeen = true;
    }
    this.stack.push(name);
    const depth = this.stack.length;
    if (this.target !== Target.None && depth > this.targetDepth) this.finishText();
    if (this.rowDepth === 0) {
      if (localName(name) === 'row') {
        this.rowDepth = depth;
        this.events.rowStart(ref);
      }
    } else if (depth === this.rowDepth + 1) {
      this.cellDepth = depth;
      // One object for every cell: the receiver reads it during the call only.
      const cell = this.cell;
      cell.ref = ref;
      cell.type = type;
      cell.style = style;
      cell.value = cell.inline = undefined;
      this.seenValue = this.seenInline = false;
      this.cellChars = 0;
    } else if (this.cellDepth !== 0 && depth === this.cellDepth + 1) {
      const local = localName(name);
      if (local === 'v' && !this.seenValue) {
        this.seenValue = true;
        this.capture(Target.Value, depth);
      } else if (local === 'is' && !this.seenInline) {
        this.seenInline = true;
        this.isDepth = depth;
        this.plain = undefined;
        this.runs = [];
      }
    } else if (this.isDepth !== 0 && depth === this.isDepth + 1) {
      const local = localName(name);
      if (local === 't') this.capture(Target.Plain, depth);
      else if (local === 'r') {
        this.runDepth = depth;
        this.runText = undefined;
      }
    } else if (this.runDepth !== 0 && depth === this.runDepth + 1 && localName(name) === 't') {
      this.capture(Target.Run, depth);
    }
  }

  private close(name: string): void {
    const depth = this.stack.length;
    if (depth === 0 || this.stack[depth - 1] !== name)
      throw new SheetXmlError(`</${name}> does not close the open element`);
    if (this.target !== Target.None && depth === this.targetDepth) this.finishText();
    if (depth === this.runDepth) {
      if (this.runText !== undefined) this.runs.push(this.runText);
      this.runDepth = 0;
    } else if (depth === this.isDepth) {
      this.cell.inline = (this.plain ?? '') + this.runs.join('');
      this.isDepth = 0;
    } else if (depth === this.cellDepth) {
      this.events.cell(this.cell);
      this.cellDepth = 0;
    } else if (depth === this.rowDepth) {
      this.events.rowEnd();
      this.rowDepth = 0;
    }
    this.stack.pop();
  }

  private capture(target: Target, depth: number): void {
    this.target = target;
    this.targetDepth = depth;
    this.piece = undefined;
  }

  /** Most captures are one piece of text; only CDATA or very long text makes several. */
  private addPiece(text: string, raw: boolean): void {
    this.cellChars += text.length;
    if (this.cellChars > MAX_MARKUP_CHARS) throw new MarkupTooLong('cell');
    if (this.piece === undefined && this.pieces.length === 0) {
      this.piece = text;
      this.pieceRaw = raw;
      return;
    }
    if (this.piece !== undefined) {
      this.pieces.push(this.piece);
      this.piecesRaw.push(this.pieceRaw);
      this.piece = undefined;
    }
    this.pieces.push(text);
    this.piecesRaw.push(raw);
  }

  /** Ends a capture: ElementTree's `.text` is the text before the element's first child. */
  private finishText(): void {
    let text = '';
    if (this.piece !== undefined) {
      const piece = normalizeNewlines(this.piece);
      text = this.pieceRaw ? decodeEntities(piece) : piece;
      this.piece = undefined;
    } else {
      for (let i = 0; i < this.pieces.length; i++) {
        const piece = normalizeNewlines(this.pieces[i]);
        text += this.piecesRaw[i] ? decodeEntities(piece) : piece;
      }
      this.pieces = [];
      this.piecesRaw = [];
    }
    switch (this.target) {
      case Target.Value:
        this.cell.value = text;
        break;
      case Target.Plain:
        this.plain = text;
        break;
      case Target.Run:
        this.runText = text;
        break;
    }
    this.target = Target.None;
  }
}

/** `</v></c>` at `i` (the caller checked that 8 characters follow). */
function isPlainCellEnd(buf: string, i: number): boolean {
  return (
    buf.charCodeAt(i + 1) === SLASH &&
    buf.charCodeAt(i + 2) === 0x76 &&
    buf.charCodeAt(i + 3) === GT &&
    buf.charCodeAt(i + 4) === LT &&
    buf.charCodeAt(i + 5) === SLASH &&
    buf.charCodeAt(i + 6) === 0x63 &&
    buf.charCodeAt(i + 7) === GT
  );
}

/** The tag name at [start, end), as a shared constant for the names every cell repeats. */
function tagName(buf: string, start: number, end: number): string {
  const length = end - start;
  const c = buf.charCodeAt(start);
  if (length === 1) {
    if (c === 0x63) return 'c';
    if (c === 0x76) return 'v';
    if (c === 0x66) return 'f';
    if (c === 0x74) return 't';
  } else if (length === 3 && c === 0x72 && buf.startsWith('row', start)) {
    return 'row';
  }
  return buf.slice(start, end);
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** An attribute value as XML parsers give it: entities expanded, literal tabs and newlines as spaces. */
function attributeValue(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x26 || c === 0x09 || c === 0x0a || c === 0x0d)
      return decodeEntities(raw.replace(/\r\n|[\t\n\r]/g, ' '));
  }
  return raw;
}
