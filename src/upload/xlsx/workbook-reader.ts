import { makeUniqueColumnNames } from '../column-names';
import { ColumnPlan } from './column-inference';
import { dateStyleIndexes } from './number-formats';
import { Kind, pyStr, PyValue } from './py-values';
import { CellContext, SheetRowAssembler, SheetTooLarge, UnreadableCell } from './sheet-rows';
import { MarkupTooLong, MAX_MARKUP_CHARS, SheetXmlError, SheetXmlReader } from './sheet-xml';
import { TableBuilder } from './table-builder';
import {
  parseContentTypes,
  parseRelationships,
  parseStyles,
  parseWorkbook,
  PartDecoder,
  PartXmlError,
  relsPathOf,
  SharedStringsReader,
} from './workbook-parts';
import { XlsxParseReply, XlsxParseRequest } from './xlsx-parse.messages';
import { ZipParts } from './zip-parts';

/** openpyxl reads styles from this fixed path. */
const STYLES_PART = 'xl/styles.xml';
/** Column names are cut to this length in warnings. */
const MAX_NAME_IN_WARNING = 80;

/** The workbook cannot be used as asked; the message is for the person. */
class Rejected extends Error {}
/** The file is not a workbook openpyxl reads (pandas.read_excel raises); the reason is for logs. */
class Unreadable extends Error {}

const quoted = (names: string[]): string => names.map((n) => `'${n}'`).join(', ');
const shortName = (name: string): string =>
  name.length > MAX_NAME_IN_WARNING ? `${name.slice(0, MAX_NAME_IN_WARNING)}…` : name;

function sheetsHint(names: string[]): string {
  return names.length > 1
    ? ` The workbook's sheets are ${quoted(names)}: choose one with the 'sheet' field.`
    : '';
}

interface SheetRef {
  name: string;
  path: string;
  chart: boolean;
}

/** The workbook's sheets as openpyxl lists them: worksheets and chart sheets whose part exists. */
async function listSheets(
  zip: ZipParts,
): Promise<{ sheets: SheetRef[]; date1904: boolean; sharedStrings?: string }> {
  const types = await zip.read('[Content_Types].xml');
  if (!types) throw new Unreadable('no [Content_Types].xml');
  const contentTypes = parseContentTypes(types);
  if (!contentTypes.workbook) throw new Unreadable('no workbook part declared');
  const workbookXml = await zip.read(contentTypes.workbook);
  if (!workbookXml) throw new Unreadable(`no ${contentTypes.workbook}`);
  const workbook = parseWorkbook(workbookXml);
  const relsPath = relsPathOf(contentTypes.workbook);
  const relsXml = await zip.read(relsPath);
  if (!relsXml) throw new Unreadable(`no ${relsPath}`);
  const rels = parseRelationships(relsXml, relsPath);
  const sheets: SheetRef[] = [];
  for (const sheet of workbook.sheets) {
    // openpyxl drops a sheet without r:id, fails on an unknown one and skips a missing part.
    if (!sheet.relationId) continue;
    const rel = rels.get(sheet.relationId);
    if (!rel) throw new Unreadable(`unknown relationship ${sheet.relationId}`);
    if (!zip.has(rel.target)) continue;
    sheets.push({ name: sheet.name, path: rel.target, chart: rel.type.includes('chartsheet') });
  }
  return { sheets, date1904: workbook.date1904, sharedStrings: contentTypes.sharedStrings };
}

function pickSheet(sheets: SheetRef[], requested: string | undefined): SheetRef {
  const worksheets = sheets.filter((s) => !s.chart);
  const names = worksheets.map((s) => s.name);
  if (requested === undefined) {
    if (worksheets.length === 0) throw new Rejected('The workbook has no worksheets.');
    return worksheets[0];
  }
  // Excel sheet names are unique regardless of case, so a case-insensitive match is unambiguous.
  const found =
    sheets.find((s) => s.name === requested) ??
    sheets.find((s) => s.name.toLowerCase() === requested.toLowerCase());
  if (!found) {
    throw new Rejected(
      `The workbook has no sheet named '${requested}'. Its sheets are ${quoted(names)}.`,
    );
  }
  if (found.chart)
    throw new Rejected(
      `The sheet '${found.name}' is a chart without a table of data.${sheetsHint(names)}`,
    );
  return found;
}

const BYTES_PER_MB = 1024 * 1024;
const megabytes = (bytes: number): string => (bytes / BYTES_PER_MB).toFixed(0);

/** Refuses shared strings beyond `maxBytes` unpacked: they are held whole, at 1-3x their size. */
function checkSharedStringsSize(zip: ZipParts, part: string, maxBytes: number): void {
  const size = zip.size(part);
  if (size <= maxBytes) return;
  throw new Rejected(
    `The workbook's shared strings (the text of its cells) unpack to ${megabytes(size)} MB, ` +
      `more than the ${megabytes(maxBytes)} MB accepted (XLSX_MAX_SHARED_STRINGS_MB). ` +
      'Split it into smaller files or save the sheet as CSV.',
  );
}

async function cellContext(
  zip: ZipParts,
  date1904: boolean,
  maxSharedStringsBytes: number,
  sharedStringsPart?: string,
): Promise<CellContext> {
  let dateStyles = new Set<number>();
  const stylesXml = await zip.read(STYLES_PART);
  if (stylesXml) {
    const styles = parseStyles(stylesXml);
    dateStyles = dateStyleIndexes(styles.cellXfNumFmtIds, styles.customFormats);
  }
  let sharedStrings: string[] = [];
  if (sharedStringsPart !== undefined) {
    if (!zip.has(sharedStringsPart)) throw new Unreadable(`no ${sharedStringsPart}`);
    checkSharedStringsSize(zip, sharedStringsPart, maxSharedStringsBytes);
    const reader = new SharedStringsReader();
    const decoder = new PartDecoder();
    await zip.stream(sharedStringsPart, (chunk) => reader.write(decoder.decode(chunk)));
    reader.write(decoder.decode(Buffer.alloc(0), true));
    sharedStrings = reader.finish();
  }
  return { sharedStrings, dateStyles, date1904 };
}

/** Header text as pandas names columns: blank → null (pandas: 'Unnamed: i'), else str(value). */
function headerNames(header: PyValue[] | undefined, width: number): (string | null)[] {
  const names: (string | null)[] = [];
  for (let c = 0; c < width; c++) {
    const v = header?.[c];
    names.push(v === undefined || v.kind === Kind.Empty ? null : pyStr(v));
  }
  return names;
}

function columnWarnings(plans: ColumnPlan[], names: string[], builder: TableBuilder): string[] {
  const warnings: string[] = [];
  plans.forEach((plan, c) => {
    const name = `'${shortName(names[c])}'`;
    switch (plan.divergence) {
      case 'mixed':
        warnings.push(
          `Column ${name} holds values of several types (${builder.typeNames(c).join(', ')}): ` +
            'pandas.read_excel would keep each as its own Python type (object dtype); here they all arrive as text.',
        );
        break;
      case 'dates-out-of-range':
        warnings.push(
          `Column ${name} holds dates outside what pandas' datetime64[ns] can hold ` +
            `(1677-09-21 to 2262-04-11), such as ${plan.example ?? ''}: it arrives as text (object dtype), ` +
            'so that no date becomes NaT; pandas.read_excel would hold them as datetime objects.',
        );
        break;
      case 'uint64-conflict':
        warnings.push(
          `Column ${name} holds integers beyond the int64 range beside negative or missing values: ` +
            'pandas.read_excel would keep them as Python ints (object dtype); here they arrive as text.',
        );
        break;
      case 'dates-only':
        warnings.push(
          `Column ${name} holds dates without a time of day (ISO date cells): pandas.read_excel ` +
            "would give datetime.date objects (object dtype); here they arrive as 'YYYY-MM-DD' text.",
        );
        break;
      default:
        break;
    }
  });
  return warnings;
}

function headerWarning(header: PyValue[] | undefined): string[] {
  const present = (header ?? []).filter((v) => v.kind !== Kind.Empty);
  const dataLike = (v: PyValue): boolean => v.kind !== Kind.Str && v.kind !== Kind.NaN;
  if (present.length === 0 || !present.every(dataLike)) return [];
  const examples = present.slice(0, 3).map(pyStr).join(', ');
  return [
    `The first row, read as the column names, holds numbers or dates (${examples}); ` +
      'if the sheet has no header row, upload it again with the form field header=false.',
  ];
}

/** Streams a sheet part through the XML reader into `sink`; returns the assembler (its counts). */
async function streamSheet(
  zip: ZipParts,
  path: string,
  ctx: CellContext,
  sink: TableBuilder,
): Promise<SheetRowAssembler> {
  const assembler = new SheetRowAssembler(ctx, sink);
  const xml = new SheetXmlReader(assembler);
  const decoder = new PartDecoder();
  let first = true;
  await zip.stream(path, (chunk) => {
    const text = decoder.decode(chunk);
    xml.write(first ? text.replace(/^\uFEFF/, '') : text);
    first = false;
  });
  xml.write(decoder.decode(Buffer.alloc(0), true));
  xml.end();
  return assembler;
}

/** Reads the chosen sheet and writes its rows for DuckDB. */
async function readSheet(zip: ZipParts, request: XlsxParseRequest): Promise<XlsxParseReply> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const { sheets, date1904, sharedStrings } = await listSheets(zip);
  const sheet = pickSheet(sheets, request.sheet);
  const worksheetNames = sheets.filter((s) => !s.chart).map((s) => s.name);
  const ctx = await cellContext(zip, date1904, request.maxSharedStringsBytes, sharedStrings);

  const workbookDone = performance.now();
  const builder = new TableBuilder(
    request.header,
    request.csvPath,
    request.maxTableBytes,
    undefined,
    request.maxTableSetting,
  );
  const assembler = await streamSheet(zip, sheet.path, ctx, builder);
  let plans = builder.finish();
  let textBytes = builder.textBytes;
  const sheetDone = performance.now();
  const sheetCpu = process.cpuUsage(cpuStarted);
  if (builder.needsRewrite(plans)) {
    const rewriter = new TableBuilder(
      request.header,
      request.csvPath,
      request.maxTableBytes,
      plans,
      request.maxTableSetting,
    );
    await streamSheet(zip, sheet.path, ctx, rewriter);
    plans = rewriter.finish();
    textBytes = rewriter.textBytes;
  }

  const width = builder.columnCount;
  if (width === 0)
    throw new Rejected(`The sheet '${sheet.name}' is empty.${sheetsHint(worksheetNames)}`);
  const { names, renamed } = makeUniqueColumnNames(
    headerNames(builder.header, width),
    request.header,
  );
  const warnings = [
    ...(request.header ? headerWarning(builder.header) : []),
    ...columnWarnings(plans, names, builder),
  ];
  if (assembler.invalidDates > 0) {
    warnings.push(
      `${assembler.invalidDates} cell(s) formatted as dates (the first is ${assembler.firstInvalidDate ?? '?'}) ` +
        'hold numbers no date can be made of; pandas.read_excel reads them as missing (NaN), and so are they here.',
    );
  }
  return {
    kind: 'parsed',
    sheets: worksheetNames,
    columns: plans.map((plan, c) => ({ name: names[c], dtype: plan.dtype, store: plan.store })),
    rowCount: builder.dataRowCount,
    renamed: Object.entries(renamed),
    warnings,
    textBytes,
    maxLineBytes: builder.maxLineBytes,
    timings: {
      workbookMs: Math.round(workbookDone - started),
      sheetMs: Math.round(sheetDone - workbookDone),
      rewriteMs: Math.round(performance.now() - sheetDone),
      sheetCpuMs: Math.round((sheetCpu.user + sheetCpu.system) / 1000),
      totalCpuMs: Math.round(cpuMs(process.cpuUsage(cpuStarted))),
    },
  };
}

const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads one sheet of the workbook at `request.filePath` as pandas.read_excel (openpyxl)
 * would and writes its data rows to `request.csvPath`. Runs in the parse worker thread.
 */
export async function readWorkbook(request: XlsxParseRequest): Promise<XlsxParseReply> {
  let zip: ZipParts;
  try {
    zip = await ZipParts.open(request.filePath);
  } catch (error) {
    return { kind: 'unreadable', reason: reasonOf(error) };
  }
  try {
    return await readSheet(zip, request);
  } catch (error) {
    if (error instanceof Rejected) return { kind: 'rejected', message: error.message };
    if (error instanceof SheetTooLarge)
      return {
        kind: 'rejected',
        message: `The sheet is too large to load: ${error.message}`,
      };
    if (error instanceof MarkupTooLong)
      return {
        kind: 'rejected',
        message:
          `The sheet is too large to load: ${error.what === 'cell' ? 'one of its cells holds more' : 'one of its XML tags or comments is longer'} ` +
          `than ${MAX_MARKUP_CHARS / BYTES_PER_MB} million characters (Excel's own limit is 32,767 characters a cell).`,
      };
    if (error instanceof UnreadableCell) {
      return {
        kind: 'rejected',
        message: `The workbook could not be read: cell ${error.cell.slice(0, 20)} holds a value that is not what its type says (${error.message.slice(0, 200)}).`,
      };
    }
    if (error instanceof RangeError) return { kind: 'too-large', reason: reasonOf(error) };
    if (
      error instanceof Unreadable ||
      error instanceof PartXmlError ||
      error instanceof SheetXmlError
    )
      return { kind: 'unreadable', reason: reasonOf(error) };
    // yauzl: corrupt entries, sizes that do not match what the archive declares.
    return { kind: 'unreadable', reason: reasonOf(error) };
  } finally {
    zip.close();
  }
}
