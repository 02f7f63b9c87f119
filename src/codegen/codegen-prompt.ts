import { LlmPrompt } from '../llm/llm-client';
import { cleanText, fenceData, UNTRUSTED_DATA_RULE } from '../llm/prompt-text';
import { DatasetContext, renderDatasetContext } from './dataset-context';
import { CHECK_FUNCTION, SandboxPolicy } from '../sandbox';

/** Backstops; the DTOs already hold requests to the contract's limits. */
export const MAX_SPEC_CHARS = 20_000;
export const MAX_BROKEN_CODE_CHARS = 100_000;
export const MAX_ERROR_MESSAGE_CHARS = 5_000;

export interface RuntimeVersions {
  python: string | null;
  pandas: string | null;
}

/**
 * One system prompt for writing and for repairing code, so generate and fix share the
 * cached prefix (system prompt, then the session's data context).
 */
export function buildCodegenSystemPrompt(policy: SandboxPolicy, runtime: RuntimeVersions): string {
  const fn = policy.entryPoint;
  const check = CHECK_FUNCTION;
  const list = (items: string[]): string => items.map((i) => `\`${i}\``).join(', ');
  const pandas = runtime.pandas ? `pandas ${runtime.pandas}` : 'pandas 1.5 or later';
  const python = runtime.python ? `Python ${runtime.python}` : 'Python 3';
  const prefixes = policy.forbiddenAttributePrefixes.length
    ? `\n- No attribute whose name starts with ${list(policy.forbiddenAttributePrefixes)}` +
      (policy.allowedToAttributes.length ? `, except ${list(policy.allowedToAttributes)}` : '') +
      '. So no file readers or writers such as `pd.read_csv` or `df.to_csv`.'
    : '';
  const attributes = policy.forbiddenAttributes.length
    ? `\n- Never access these names as attributes (\`x.name\`) or import them (\`from m import name\`); keyword arguments such as \`errors="coerce"\` are fine: ${list(policy.forbiddenAttributes)}.`
    : '';

  return `You are an expert Python and pandas developer. You write, and repair, one Python module that transforms a table. The module runs in a locked-down sandbox (${python}, ${pandas}) that loads the person's table as a pandas DataFrame, calls the module's \`${fn}\` function, and keeps the DataFrame it returns as the result table.

The code contract:
- The module defines \`def ${fn}(df: pd.DataFrame) -> pd.DataFrame\`. The sandbox calls it once with the whole table, with the columns and dtypes described in the data context.
- \`${fn}\` returns the result as a new pandas DataFrame. Returning anything else fails the job. Do not modify \`df\` in place; work on a copy or build a new frame.
- The result is what \`${fn}\` returns, never what the code prints. Printing is allowed for short diagnostics only.
- The module also defines \`def ${check}(df: pd.DataFrame, out: pd.DataFrame) -> None\`. The sandbox calls it after \`${fn}\`, with the input table as \`${fn}\` received it (\`df\`) and the result (\`out\`); it cannot change the result. A failed \`assert\` in it fails the job with \`${check} failed: <message> (line N)\`, and so does any exception it raises.
- At the top level, put only imports, constants and function or class definitions. Do not call \`${fn}\` or \`${check}\` yourself, and add no \`if __name__ == "__main__":\` block.
- No I/O of any kind: no files, no network, no subprocesses, no environment variables, no reading the clock to decide results unless the specification asks for the current date.

What the sandbox's checker allows (code that breaks these rules is refused before it runs):
- Import only these modules: ${list(policy.allowedImports)}.
- Never call these builtins: ${list(policy.forbiddenBuiltins)}.${attributes}${prefixes}

How to write it:
- Follow the specification step by step, in its order. Where it names a column, use that exact name with bracket access, \`df["name"]\`, since names may contain spaces or punctuation.
- Use vectorised pandas and numpy operations rather than Python loops over rows.
- Convert types explicitly before computing: \`pd.to_numeric(..., errors="coerce")\` for numbers stored as text, \`pd.to_datetime(..., errors="coerce")\` for dates. Object columns may hold mixed types and missing values.
- Handle missing values (NaN, None, NaT), empty strings and an empty input table without raising.
- Keep the code deterministic. Set the result's columns in the order the specification gives.
- Return the data as columns, not in the index. Where the index holds data (group keys, \`value_counts()\` or \`describe()\` labels, a pivot's rows, a MultiIndex), call \`reset_index()\` so it becomes columns, naming them as the specification says. After filtering or sorting, \`reset_index(drop=True)\`: row numbers are not data. The sandbox keeps a named, non-integer or multi-level index as leading columns and drops an unnamed integer index, so an unnamed integer index that holds data (such as \`value_counts()\` of an integer column) is lost unless you reset it.
- Write code that works on ${pandas}: avoid APIs that were added later or that it deprecates.
- Add a short comment where a step is not obvious; no other commentary.

How to write \`${check}\`:
- Derive its assertions from the specification's Output columns and Edge cases sections, and assert only what the specification promises for every input, an empty table included, never facts about this particular sample.
- Cover, where the specification gives them: the required output columns are present (\`for c in [...]: assert c in out.columns, f"missing column {c!r}"\`); row-count relations (\`len(out) <= len(df)\` for a filter, \`len(out) == len(df)\` when every row is kept, one row per group key); keys that must be unique (\`not out["id"].duplicated().any()\`); no output column that is entirely missing when it should not be (guard with \`len(out) > 0\`); value ranges (non-negative amounts, shares between 0 and 1, dates within the input's range).
- Keep it short, about 3 to 8 assertions, with plain vectorised expressions. Give every \`assert\` a message that says what is wrong, such as \`assert (out["total"] >= 0).all(), "total has negative values"\`.
- Never modify \`df\` or \`out\` in it, and return nothing.

When you are asked to repair code:
- Find the cause of the error from the message and the data context, fix it, and keep everything that already works.
- Keep the same function names and signatures, and return the complete corrected module, never a diff or a fragment, with its \`${check}\` kept and repaired too.
- An error that starts with \`${check} failed:\` means the code ran but its result does not meet the specification: fix \`${fn}\`, not the assertion. Change or drop an assertion only where it contradicts the specification or asserts something the specification does not promise.
- If the error shows that the code broke a sandbox rule above, rewrite that part within the rules.

Answer format: the module's Python source code only, starting with its imports. No Markdown code fences, no explanation before or after the code.

${UNTRUSTED_DATA_RULE}`;
}

export interface GeneratePromptInput {
  system: string;
  dataset: DatasetContext;
  spec: string;
}

/** Generate: the shared system prompt, the data context, then the specification. */
export function buildGeneratePrompt(input: GeneratePromptInput): LlmPrompt {
  const spec = cleanText(input.spec, { maxChars: MAX_SPEC_CHARS, multiline: true });
  const task =
    'The specification to implement:\n' +
    fenceData('specification', spec) +
    '\n\nWrite the complete Python module that implements this specification for the table above, ' +
    `with a \`${CHECK_FUNCTION}\` whose assertions come from its Output columns and Edge cases sections. ` +
    'Answer with code only.';
  return { system: input.system, context: renderDatasetContext(input.dataset, spec), task };
}

export interface FixPromptInput {
  system: string;
  dataset: DatasetContext;
  brokenCode: string;
  errorMessage: string;
  /** The specification the code implements, when the caller has it: a failed check is judged against it. */
  spec?: string;
}

/** Fix: the same system prompt and data context as generate, then the spec (if any), the code and its error. */
export function buildFixPrompt(input: FixPromptInput): LlmPrompt {
  const code = cleanText(input.brokenCode, { maxChars: MAX_BROKEN_CODE_CHARS, multiline: true });
  const error = cleanText(input.errorMessage, {
    maxChars: MAX_ERROR_MESSAGE_CHARS,
    multiline: true,
  });
  const spec =
    input.spec === undefined
      ? ''
      : 'The specification the module implements:\n' +
        fenceData(
          'specification',
          cleanText(input.spec, { maxChars: MAX_SPEC_CHARS, multiline: true }),
        ) +
        '\n\n';
  const checkFailed = error.startsWith(`${CHECK_FUNCTION} failed:`)
    ? `\n\nThe module ran, but its \`${CHECK_FUNCTION}\` found that the result does not meet the specification: ` +
      'repair the transformation so that the assertion holds, and change the assertion only if it contradicts the specification.'
    : '';
  const task =
    spec +
    'This module failed when it ran against the table above:\n' +
    fenceData('code that failed', code) +
    '\n\nThe error it produced:\n' +
    fenceData('error message', error) +
    checkFailed +
    '\n\nRepair the module. Answer with the complete corrected module, code only.';
  return { system: input.system, context: renderDatasetContext(input.dataset, code), task };
}
