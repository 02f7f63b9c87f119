import { LlmPrompt } from '../llm/llm-client';
import {
  cleanText,
  ColumnInfo,
  fenceData,
  renderColumnList,
  UNTRUSTED_DATA_RULE,
} from '../llm/prompt-text';

/**
 * Wide tables: the first REFINE_MAX_LISTED_COLUMNS columns are listed with their dtype
 * (columns the person's text names come first, so they are never left out); the rest
 * are summarised as a count per dtype.
 */
export const REFINE_MAX_LISTED_COLUMNS = 150;
export const REFINE_MAX_NAME_CHARS = 120;
/** The contract caps raw_instructions at 5000 characters; this is the backstop. */
export const REFINE_MAX_INSTRUCTION_CHARS = 5000;

export const REFINE_SECTIONS = [
  'Objective',
  'Input columns',
  'Transformation steps',
  'Output columns',
  'Edge cases',
] as const;

export const REFINE_SYSTEM_PROMPT = `You are a careful data analyst. A person has uploaded a table and described, in their own words, how they want it transformed. Turn their description into a precise, unambiguous specification. A Python developer will implement it, without asking questions, as a pandas function \`transform(df) -> DataFrame\` that receives the whole table as \`df\` and returns the result table.

Write the specification in Markdown with exactly these five sections, in this order, each as a level-2 heading:

## Objective
One or two sentences: what the result table is and what it is for.

## Input columns
Each column the transformation reads: its name exactly as in the schema (in backticks), its dtype, and what it is used for. Never invent columns. If the description refers to a column the table does not have, name the closest existing column and say that it is an assumption, or say plainly that the column is missing.

## Transformation steps
Numbered steps, in the order they must happen: filters, type conversions, cleaning, derived columns (with their formulas), grouping and aggregation (keys and functions), reshaping, sorting, and the final choice, order and names of columns. Be explicit about inclusive or exclusive comparisons, units, rounding, date and number formats, text case and whitespace.

## Output columns
Every column of the result, in order: name, dtype and meaning.

## Edge cases
How to treat missing values (NaN, None, NaT), empty strings, values that cannot be parsed, duplicates, division by zero, an empty input table, and anything particular to this table and this request.

Rules:
- Specify, do not implement: no code, apart from short expressions inside a step where they remove doubt.
- When the description is ambiguous, choose the most reasonable reading and write it down in the step where it applies, starting with "Assumption:".
- Keep to what the person asked for. Do not add features, columns or reports they did not ask for.
- Use column names exactly as they appear in the schema, including case, spaces and punctuation.
- The result is a table; printing, plotting and writing files are out of scope.
- Answer with the specification only: no greeting, no preamble, no closing remarks.
- ${UNTRUSTED_DATA_RULE}`;

export interface RefinePromptInput {
  rowCount: number;
  columns: ColumnInfo[];
  instructions: string;
}

/** The refine prompt: stable instructions, the table's schema, then the person's words. */
export function buildRefinePrompt(input: RefinePromptInput): LlmPrompt {
  const schema = renderColumnList(input.columns, {
    maxListed: REFINE_MAX_LISTED_COLUMNS,
    maxNameChars: REFINE_MAX_NAME_CHARS,
    mentionedIn: input.instructions,
  });
  const context =
    `The uploaded table has ${input.rowCount} rows and ${input.columns.length} columns. ` +
    'Its columns, with the pandas dtype `transform(df)` will see:\n' +
    fenceData('table columns', schema);
  const words = cleanText(input.instructions, {
    maxChars: REFINE_MAX_INSTRUCTION_CHARS,
    multiline: true,
  });
  const task =
    "The person's description of the transformation they want:\n" +
    fenceData('instructions from the person', words) +
    '\n\nWrite the specification for this table and this description, with the five sections ' +
    `(${REFINE_SECTIONS.join(', ')}).`;
  return { system: REFINE_SYSTEM_PROMPT, context, task };
}
