import { JsonValue } from '../duckdb/json-safe';
import {
  cleanText,
  ColumnInfo,
  fenceData,
  omittedSummary,
  pickColumns,
  quoted,
} from '../llm/prompt-text';

/** What DuckDB learnt about one column, over all rows. */
export interface ColumnProfile {
  name: string;
  nullCount: number;
  distinctCount: number;
  /** Counted with HyperLogLog on large tables. */
  distinctApprox: boolean;
  /** Numbers and dates. */
  min?: string | null;
  max?: string | null;
  /** Text and booleans, most frequent first; absent when every value is distinct. */
  topValues?: { value: string; count: number }[];
  /** Text: length of the longest value. */
  maxLength?: number | null;
}

/** The session's data as the code-generation prompts describe it. */
export interface DatasetContext {
  rowCount: number;
  /** Every column, in table order, with its pandas dtype. */
  columns: ColumnInfo[];
  /** Profiles of the columns that were profiled (see MAX_PROFILED_COLUMNS). */
  profiles: ColumnProfile[];
  /** The first rows, in file order. */
  sampleRows: Record<string, JsonValue>[];
}

/** Token budget for the data context of generate and fix. */
export const CONTEXT_MAX_TOKENS = 8000;
/** Rough size of a token for this mix of JSON, names and numbers; errs on the large side. */
export const CHARS_PER_TOKEN = 3.5;
/** The profile service never profiles more columns than the most detailed level shows. */
export const MAX_PROFILED_COLUMNS = 120;
export const MAX_SAMPLE_ROWS = 5;
export const MAX_TOP_VALUES = 5;

/** How much to show; levels go from most to least detailed. */
export interface DetailLevel {
  listedColumns: number;
  profiledColumns: number;
  topValues: number;
  sampleRows: number;
  cellChars: number;
  nameChars: number;
}

/**
 * Degradation ladder for wide or long-text tables: fewer and shorter sample cells
 * first, then fewer common values, then fewer profiled and listed columns. The first
 * level that fits the budget is used; the last one is used regardless.
 */
export const DETAIL_LEVELS: readonly DetailLevel[] = [
  {
    listedColumns: 300,
    profiledColumns: 120,
    topValues: 5,
    sampleRows: 5,
    cellChars: 80,
    nameChars: 120,
  },
  {
    listedColumns: 300,
    profiledColumns: 120,
    topValues: 3,
    sampleRows: 3,
    cellChars: 40,
    nameChars: 80,
  },
  {
    listedColumns: 200,
    profiledColumns: 60,
    topValues: 3,
    sampleRows: 2,
    cellChars: 24,
    nameChars: 60,
  },
  {
    listedColumns: 120,
    profiledColumns: 30,
    topValues: 2,
    sampleRows: 1,
    cellChars: 16,
    nameChars: 40,
  },
  {
    listedColumns: 60,
    profiledColumns: 0,
    topValues: 0,
    sampleRows: 0,
    cellChars: 16,
    nameChars: 40,
  },
];

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * Renders the schema, profile and sample rows inside data fences, at the most
 * detailed level that fits CONTEXT_MAX_TOKENS. `mentionedIn` (the spec or the code)
 * decides which columns of a wide table are shown first.
 */
export function renderDatasetContext(
  ctx: DatasetContext,
  mentionedIn: string,
  maxTokens: number = CONTEXT_MAX_TOKENS,
): string {
  let text = '';
  for (const level of DETAIL_LEVELS) {
    text = renderAtLevel(ctx, mentionedIn, level);
    if (estimateTokens(text) <= maxTokens) return text;
  }
  return text;
}

export function renderAtLevel(
  ctx: DatasetContext,
  mentionedIn: string,
  level: DetailLevel,
): string {
  const { listed, omitted } = pickColumns(ctx.columns, level.listedColumns, mentionedIn);
  const profiled = new Set(
    pickColumns(listed, level.profiledColumns, mentionedIn).listed.map((c) => c.name),
  );
  const profiles = new Map(ctx.profiles.map((p) => [p.name, p]));
  const name = (n: string): string => quoted(cleanText(n, { maxChars: level.nameChars }));
  const value = (v: string): string => quoted(cleanText(v, { maxChars: level.cellChars }));

  const lines = listed.map((c) => {
    const p = profiled.has(c.name) ? profiles.get(c.name) : undefined;
    return `- ${name(c.name)}: ${c.dtype}${p ? `; ${describeProfile(p, level, ctx.rowCount, value)}` : ''}`;
  });
  if (omitted.length > 0) lines.push(`- (${omittedSummary(omitted)})`);

  const parts = [
    `The table \`transform(df)\` receives has ${ctx.rowCount} rows and ${ctx.columns.length} columns. ` +
      'Each column with its pandas dtype and, where shown, a profile computed over all rows ' +
      '(missing values, distinct values, range or most common values):',
    fenceData('table columns', lines.join('\n')),
  ];
  const rows = ctx.sampleRows.slice(0, level.sampleRows);
  if (rows.length > 0) {
    const header = JSON.stringify(
      listed.map((c) => cleanText(c.name, { maxChars: level.nameChars })),
    );
    const body = rows.map((row) =>
      JSON.stringify(listed.map((c) => sampleCell(row[c.name], level.cellChars))),
    );
    parts.push(
      `The first ${rows.length} row${rows.length === 1 ? '' : 's'}, as JSON arrays in the order of the header line` +
        `${omitted.length > 0 ? ' (listed columns only)' : ''}; long values are cut:`,
      fenceData('sample rows', [header, ...body].join('\n')),
    );
  }
  return parts.join('\n\n');
}

function describeProfile(
  p: ColumnProfile,
  level: DetailLevel,
  rowCount: number,
  value: (v: string) => string,
): string {
  const facts = [`nulls ${p.nullCount}`];
  const nonNull = rowCount - p.nullCount;
  const approx = p.distinctApprox ? '~' : '';
  if (nonNull > 0 && p.distinctCount >= nonNull && p.topValues === undefined) {
    facts.push(`all ${nonNull} non-null values distinct`);
  } else {
    facts.push(`distinct ${approx}${p.distinctCount}`);
  }
  if (p.min != null && p.max != null) facts.push(`min ${value(p.min)}`, `max ${value(p.max)}`);
  const top = (p.topValues ?? []).slice(0, level.topValues);
  if (top.length > 0)
    facts.push(`most common ${top.map((t) => `${value(t.value)} (${t.count})`).join(', ')}`);
  if (p.maxLength != null) facts.push(`longest ${p.maxLength} characters`);
  return facts.join('; ');
}

function sampleCell(cell: JsonValue | undefined, maxChars: number): JsonValue {
  if (cell === undefined || cell === null) return null;
  if (typeof cell === 'string') return cleanText(cell, { maxChars });
  if (typeof cell === 'object') return cleanText(JSON.stringify(cell), { maxChars });
  return cell;
}
