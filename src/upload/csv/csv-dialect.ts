import { parse } from 'csv-parse/sync';

export const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof CANDIDATE_DELIMITERS)[number];

export interface HeadAnalysis {
  delimiter: Delimiter;
  /** Records of the head, parsed with that delimiter. */
  records: string[][];
  /** The 1-based line each record starts on. */
  lines: number[];
}

interface ParsedHead {
  records: string[][];
  lines: number[];
}

function parseHead(text: string, delimiter: string): ParsedHead {
  try {
    const parsed = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    // info.lines is the line a record ends on; count back its own line breaks.
    return {
      records: parsed.map((p) => p.record),
      lines: parsed.map((p) => p.info.lines - (p.record.join(delimiter).match(/\n/g)?.length ?? 0)),
    };
  } catch {
    return { records: [], lines: [] };
  }
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
export function analyseHead(text: string): HeadAnalysis {
  // Drop the last, probably partial, line so it cannot skew the counts.
  const cut = text.lastIndexOf('\n');
  const complete = cut > 0 ? text.slice(0, cut) : text;
  let best: HeadAnalysis = { delimiter: ',', ...parseHead(complete, ',') };
  let bestScore = score(best.records);
  for (const delimiter of CANDIDATE_DELIMITERS.slice(1)) {
    const parsed = parseHead(complete, delimiter);
    const s = score(parsed.records);
    if (s > bestScore) {
      best = { delimiter, ...parsed };
      bestScore = s;
    }
  }
  return best;
}

/** The first record of the head wider than its header, if any: a row DuckDB would misread. */
export function firstTooWideRecord(
  head: HeadAnalysis,
): { line: number; fields: number; expected: number } | null {
  const width = head.records[0]?.length ?? 0;
  const index = head.records.findIndex((r) => r.length > width);
  return index < 0
    ? null
    : { line: head.lines[index], fields: head.records[index].length, expected: width };
}
