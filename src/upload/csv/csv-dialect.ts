import { parse } from 'csv-parse/sync';

export const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'] as const;
/** One of the candidates, or any single character an Excel `sep=` line names. */
export type Delimiter = string;

export type LineEnding = '\n' | '\r\n' | '\r';

export interface HeadAnalysis {
  delimiter: Delimiter;
  /** The first line break outside quotes (DuckDB's guess can be led astray by quoted ones). */
  lineEnding: LineEnding;
  /** Records of the head, parsed with that delimiter. */
  records: string[][];
  /** The 1-based line each record starts on. */
  lines: number[];
}

/** Lines given up, one by one from the end, when a cut head ends inside a quoted value. */
const MAX_HEAD_TRIMS = 8;

function parseHead(text: string, delimiter: string): { records: string[][]; lines: number[] } {
  let end = text.length;
  for (let trims = 0; trims <= MAX_HEAD_TRIMS && end > 0; trims++) {
    const head = text.slice(0, end);
    try {
      const parsed = parse(head, {
        delimiter,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        // Files mixing line endings (CRLF lines, then a last LF) exist; any of them ends a record.
        record_delimiter: ['\r\n', '\n', '\r'],
        info: true,
      }) as unknown as { record: string[]; info: { lines: number } }[];
      // info.lines is the line a record ends on; count back its own line breaks.
      return {
        records: parsed.map((p) => p.record),
        lines: parsed.map(
          (p) => p.info.lines - (p.record.join(delimiter).match(/\n/g)?.length ?? 0),
        ),
      };
    } catch {
      end = head.lastIndexOf('\n');
    }
  }
  return { records: [], lines: [] };
}

/** How well a delimiter explains the head: many fields, the same count on most lines. */
function score(records: string[][]): number {
  const rows = records.slice(0, -1).length > 0 ? records.slice(0, -1) : records;
  if (rows.length === 0) return 0;
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let modeWidth = 1;
  let modeCount = 0;
  for (const [width, count] of counts) {
    if (count > modeCount || (count === modeCount && width > modeWidth)) {
      modeWidth = width;
      modeCount = count;
    }
  }
  if (modeWidth < 2) return 0;
  const consistency = modeCount / rows.length;
  return consistency * Math.log2(modeWidth + 1);
}

/**
 * Picks the delimiter from the head of the file with csv-parse. DuckDB's own sniffer
 * samples the whole file and can be led astray by commas inside decimal values of a
 * semicolon file; a consistent field count on the first lines is the better signal.
 */
export function analyseHead(
  text: string,
  options: { wholeFile?: boolean; delimiter?: Delimiter } = {},
): HeadAnalysis {
  // The last line of a head cut from a longer file is probably partial: it could skew the counts.
  const cut = options.wholeFile ? text.length : text.lastIndexOf('\n');
  const complete = cut > 0 ? text.slice(0, cut) : text;
  const lineEnding = lineEndingOf(text);
  if (options.delimiter)
    return { delimiter: options.delimiter, lineEnding, ...parseHead(complete, options.delimiter) };
  let best: HeadAnalysis = { delimiter: ',', lineEnding, ...parseHead(complete, ',') };
  let bestScore = score(best.records);
  for (const delimiter of CANDIDATE_DELIMITERS.slice(1)) {
    // Absent, it makes every record one field: that scores 0 and never beats the comma.
    if (!complete.includes(delimiter)) continue;
    const parsed = parseHead(complete, delimiter);
    const s = score(parsed.records);
    if (s > bestScore) {
      best = { delimiter, lineEnding, ...parsed };
      bestScore = s;
    }
  }
  return best;
}

/** The first line break outside double quotes; LF when there is none. */
export function lineEndingOf(text: string): LineEnding {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '\n') return '\n';
    else if (!quoted && ch === '\r') return text[i + 1] === '\n' ? '\r\n' : '\r';
  }
  return '\n';
}

/** The first record of the head wider than its header: pandas refuses such a file. */
export function firstTooWideRecord(
  head: HeadAnalysis,
): { line: number; fields: number; expected: number } | null {
  const width = head.records[0]?.length ?? 0;
  const index = head.records.findIndex((r) => r.length > width);
  return index < 0
    ? null
    : { line: head.lines[index], fields: head.records[index].length, expected: width };
}
