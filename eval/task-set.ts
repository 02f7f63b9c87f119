import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CompareRules } from './compare';

export const TASKS_DIR = resolve(__dirname, 'tasks');

/** The five sections every refined spec has (src/instructions/refine-prompt.ts). */
const SPEC_SECTIONS = [
  'Objective',
  'Input columns',
  'Transformation steps',
  'Output columns',
  'Edge cases',
];

/**
 * One eval task: a folder `eval/tasks/<NN-short-name>/` holding
 * - `task.json`: `{instructions, compare: {row_order, column_order, float_tolerance}, sheet?}`
 *   (`sheet`: the XLSX sheet to upload, sent as the upload's `sheet` field);
 * - `input.csv` or `input.xlsx`: what the person uploads;
 * - `expected.csv`: the right result;
 * - `reference.py`: a `transform(df)` module that produces it from the input as uploaded;
 * - `fake/refine.md` and `fake/attempt1.py`, `attempt2.py`, ...: the fake model's answers to
 *   refine, to generate and to each fix, in order (runs without an API key).
 */
export interface EvalTask {
  name: string;
  dir: string;
  instructions: string;
  compare: CompareRules;
  sheet: string | null;
  inputPath: string;
  expectedCsv: string;
  reference: string;
  fakeSpec: string;
  fakeAttempts: string[];
}

/** Why a folder is not a well-formed task (empty when it is). */
export function taskProblems(dir: string): string[] {
  const problems: string[] = [];
  const file = (name: string): string | null => {
    const path = join(dir, name);
    if (!existsSync(path)) {
      problems.push(`${name} is missing`);
      return null;
    }
    return readFileSync(path, 'utf8');
  };
  const json = file('task.json');
  if (json !== null) {
    try {
      const task = JSON.parse(json) as Record<string, unknown>;
      const compare = (task.compare ?? {}) as Record<string, unknown>;
      if (typeof task.instructions !== 'string' || task.instructions.length < 10)
        problems.push('task.json: instructions must be text of at least 10 characters');
      if (!['exact', 'any'].includes(compare.row_order as string))
        problems.push('task.json: compare.row_order must be "exact" or "any"');
      if (!['exact', 'any'].includes(compare.column_order as string))
        problems.push('task.json: compare.column_order must be "exact" or "any"');
      if (typeof compare.float_tolerance !== 'number' || !(compare.float_tolerance >= 0))
        problems.push('task.json: compare.float_tolerance must be a number >= 0');
      if (task.sheet !== undefined && typeof task.sheet !== 'string')
        problems.push('task.json: sheet must be text');
    } catch (error) {
      problems.push(`task.json is not JSON: ${(error as Error).message}`);
    }
  }
  const inputs = ['input.csv', 'input.xlsx'].filter((n) => existsSync(join(dir, n)));
  if (inputs.length !== 1) problems.push('exactly one of input.csv and input.xlsx is needed');
  file('expected.csv');
  const reference = file('reference.py');
  if (reference !== null && !/^def transform\(/m.test(reference))
    problems.push('reference.py does not define transform(df)');
  const spec = file('fake/refine.md');
  if (spec !== null) {
    for (const section of SPEC_SECTIONS)
      if (!spec.includes(`## ${section}`)) problems.push(`fake/refine.md lacks "## ${section}"`);
  }
  const attempts = fakeAttemptFiles(dir);
  if (attempts.length === 0) problems.push('fake/attempt1.py is missing');
  attempts.forEach((name, i) => {
    if (name !== `attempt${i + 1}.py`) problems.push(`fake attempts must be numbered 1..n`);
  });
  if (reference !== null && attempts.length > 0) {
    const last = unfenced(readFileSync(join(dir, 'fake', attempts[attempts.length - 1]), 'utf8'));
    if (!last.startsWith(reference.trimEnd()))
      problems.push('the last fake attempt must be reference.py (optionally followed by check)');
  }
  return problems;
}

function fakeAttemptFiles(dir: string): string[] {
  const fake = join(dir, 'fake');
  if (!existsSync(fake)) return [];
  return readdirSync(fake)
    .filter((n) => /^attempt\d+\.py$/.test(n))
    .sort((a, b) => Number(a.slice(7, -3)) - Number(b.slice(7, -3)));
}

/** The code inside a Markdown fence, as the product's cleaner keeps it. */
function unfenced(text: string): string {
  const fenced = /^```[a-z]*\n([\s\S]*?)\n```\s*$/.exec(text.trim());
  return fenced ? fenced[1] : text;
}

/** The task folders under `dir`, by name; `only` keeps names starting with it. */
export function taskDirs(dir = TASKS_DIR, only?: string): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .filter((name) => !only || name.startsWith(only))
    .sort()
    .map((name) => join(dir, name));
}

/** Reads one task; throws naming every problem when the folder is not well-formed. */
export function loadTask(dir: string): EvalTask {
  const problems = taskProblems(dir);
  const name = dir.split(/[\\/]/).pop()!;
  if (problems.length) throw new Error(`task ${name}: ${problems.join('; ')}`);
  const task = JSON.parse(readFileSync(join(dir, 'task.json'), 'utf8')) as {
    instructions: string;
    compare: CompareRules;
    sheet?: string;
  };
  const read = (n: string): string => readFileSync(join(dir, n), 'utf8');
  return {
    name,
    dir,
    instructions: task.instructions,
    compare: task.compare,
    sheet: task.sheet ?? null,
    inputPath: join(dir, existsSync(join(dir, 'input.csv')) ? 'input.csv' : 'input.xlsx'),
    expectedCsv: read('expected.csv'),
    reference: read('reference.py'),
    fakeSpec: read('fake/refine.md'),
    fakeAttempts: fakeAttemptFiles(dir).map((n) => read(join('fake', n))),
  };
}

export function loadTasks(dir = TASKS_DIR, only?: string): EvalTask[] {
  return taskDirs(dir, only).map(loadTask);
}
