/**
 * Auto mode's local repairs: changes made to the model's answer without another model
 * call, each only where the shape is recognised for certain. Anything else is left as it
 * is, for the static check, the run and the model's fix to deal with.
 */

export interface LocalRepair {
  /** The module to run. */
  code: string;
  /** One sentence per change made, for the execute event's `adapted`; empty when none. */
  adapted: string[];
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})[\w+.-]*\s*$/;

/**
 * Repairs `code` (the cleaned answer) in place of the model. `raw` is the answer as the
 * model wrote it: fences the stream cleaner already removed are reported too.
 */
export function repairLocally(code: string, raw: string = code): LocalRepair {
  const adapted: string[] = [];
  const unfenced = stripFences(code);
  if (unfenced !== code || raw.split('\n').some((line) => FENCE_LINE.test(line)))
    adapted.push('removed the Markdown code fence around the answer');
  const seed = adaptSeedScript(unfenced);
  if (seed) adapted.push(seed.note);
  return { code: seed ? seed.code : unfenced, adapted };
}

/**
 * Removes a Markdown fence that wraps the whole module (an opening line such as
 * ```` ```python ```` and a closing ```` ``` ````), and stray fence lines at either end.
 */
export function stripFences(code: string): string {
  const lines = code.split('\n');
  let start = 0;
  let end = lines.length;
  const blank = (i: number): boolean => lines[i].trim() === '';
  while (start < end && (blank(start) || FENCE_LINE.test(lines[start]))) start++;
  while (end > start && (blank(end - 1) || FENCE_LINE.test(lines[end - 1]))) end--;
  const inner = lines.slice(start, end);
  // A fence inside the code means more than one block: not a wrapper, leave it alone.
  if (inner.some((line) => FENCE_LINE.test(line))) return code;
  const stripped = inner.join('\n') + '\n';
  return stripped.trim() === code.trim() ? code : stripped;
}

// ---- seed-style scripts

const ID = '[A-Za-z_]\\w*';
const STRING_LITERAL = `(?:'[^'\\\\\\n]*'|"[^"\\\\\\n]*")`;
const SIMPLE_VALUE = `(?:${STRING_LITERAL}|-?\\d+(?:\\.\\d+)?|True|False|None)`;
const COMMENT = '(?:\\s*#.*)?';

/** `os.environ["X"]`, `os.environ.get("X"[, default])` or `os.getenv("X"[, default])`. */
function envRead(variable: string): string {
  const name = `(?:'${variable}'|"${variable}")`;
  const fallback = `(?:\\s*,\\s*${SIMPLE_VALUE})?`;
  return (
    `os\\.(?:environ\\[\\s*${name}\\s*\\]|environ\\.get\\(\\s*${name}${fallback}\\s*\\)` +
    `|getenv\\(\\s*${name}${fallback}\\s*\\))`
  );
}

/** Keyword arguments that only say how to read or write a file (the sandbox does that). */
const READ_KEYWORDS = new Set([
  'encoding',
  'encoding_errors',
  'sep',
  'delimiter',
  'low_memory',
  'engine',
]);
const WRITE_KEYWORDS = new Set(['index', 'encoding', 'sep', 'engine', 'sheet_name']);

/** `, a=1, b="x"` with every name in `allowed`; false when anything else is there. */
function onlyKeywords(rest: string, allowed: ReadonlySet<string>): boolean {
  if (rest.trim() === '') return true;
  const one = new RegExp(`^\\s*,\\s*(${ID})\\s*=\\s*${SIMPLE_VALUE}\\s*`);
  let text = rest;
  while (text.trim() !== '') {
    const m = one.exec(text);
    if (!m || !allowed.has(m[1])) return false;
    text = text.slice(m[0].length);
  }
  return true;
}

/** DataFrame methods that write a file (or somewhere else outside the process). */
const FILE_WRITER =
  /\.to_(?:csv|excel|parquet|json|feather|pickle|sql|hdf|xml|html|latex|markdown|clipboard|stata|orc)\s*\(/g;

const indentOf = (line: string): number => line.length - line.trimStart().length;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const countOf = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

/**
 * Rewrites a script in the seed's style (`def main():` reads `os.environ["INPUT_FILE_PATH"]`
 * with one `pd.read_csv/read_excel/read_parquet(...)` and ends writing the result to
 * `OUTPUT_FILE_PATH` with one `.to_csv/to_excel/to_parquet(...)`, then `main()` is called)
 * into `transform(df)`: the read becomes a copy of `df`, the write becomes `return`, the
 * path lines, the call of `main()` and an unused `import os` go. Null unless every part is
 * exactly that shape: one line each, only file-format keyword arguments, no other use of
 * the paths, of `main` or of `return` in `main`, no `transform` already.
 */
export function adaptSeedScript(code: string): { code: string; note: string } | null {
  if (!code.includes('INPUT_FILE_PATH') || !code.includes('OUTPUT_FILE_PATH')) return null;
  if (/^\s*def\s+transform\b/m.test(code)) return null;
  if (countOf(code, /INPUT_FILE_PATH/g) !== 1 || countOf(code, /OUTPUT_FILE_PATH/g) !== 1)
    return null;
  if (countOf(code, /\bread_\w+\s*\(/g) !== 1) return null;
  if (countOf(code, FILE_WRITER) !== 1) return null;

  const lines = code.replace(/\r\n?/g, '\n').split('\n');
  const defs = lines.flatMap((line, i) =>
    /^def\s+main\s*\(\s*\)\s*(?:->\s*None\s*)?:\s*(?:#.*)?$/.test(line) ? [i] : [],
  );
  if (defs.length !== 1) return null;
  const def = defs[0];
  // The body: every line after the def up to the next one at the margin.
  let bodyEnd = def + 1;
  while (bodyEnd < lines.length && (lines[bodyEnd].trim() === '' || indentOf(lines[bodyEnd]) > 0))
    bodyEnd++;
  const bodyLines = lines.slice(def + 1, bodyEnd);
  const firstBody = bodyLines.find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (!firstBody) return null;
  const indent = firstBody.slice(0, indentOf(firstBody));
  if (bodyLines.some((l) => /^\s*(return|yield)\b/.test(l))) return null;

  const remove = new Set<number>();
  const replace = new Map<number, string>();
  // Where each path comes from: a variable assigned at the margin or in main, or inline.
  const pathOf = (variable: string): { re: string; name: string | null } | null => {
    const assign = new RegExp(
      `^(|${escape(indent)})(${ID})\\s*=\\s*${envRead(variable)}${COMMENT}$`,
    );
    for (let i = 0; i < lines.length; i++) {
      const m = assign.exec(lines[i]);
      if (!m) continue;
      const inMain = i > def && i < bodyEnd;
      if (m[1] === '' ? i > def && i < bodyEnd : !inMain) return null;
      remove.add(i);
      return { re: escape(m[2]), name: m[2] };
    }
    return { re: envRead(variable), name: null };
  };
  const input = pathOf('INPUT_FILE_PATH');
  const output = pathOf('OUTPUT_FILE_PATH');
  if (!input || !output) return null;

  const read = new RegExp(
    `^${escape(indent)}(${ID})\\s*=\\s*(?:pd|pandas)\\.(read_(?:csv|excel|parquet))\\(\\s*(?:${input.re})((?:\\s*,\\s*${ID}\\s*=\\s*${SIMPLE_VALUE})*)\\s*\\)${COMMENT}$`,
  );
  const write = new RegExp(
    `^${escape(indent)}(${ID})\\.(to_(?:csv|excel|parquet))\\(\\s*(?:${output.re})((?:\\s*,\\s*${ID}\\s*=\\s*${SIMPLE_VALUE})*)\\s*\\)${COMMENT}$`,
  );
  let reader: RegExpExecArray | null = null;
  let writer: RegExpExecArray | null = null;
  let lastStatement = -1;
  for (let i = def + 1; i < bodyEnd; i++) {
    const line = lines[i];
    if (line.trim() !== '' && !line.trim().startsWith('#')) lastStatement = i;
    const r = read.exec(line);
    if (r && onlyKeywords(r[3], READ_KEYWORDS)) {
      reader = r;
      replace.set(i, `${indent}${r[1]} = df.copy()`);
    }
    const w = write.exec(line);
    if (w && onlyKeywords(w[3], WRITE_KEYWORDS)) {
      writer = w;
      replace.set(i, `${indent}return ${w[1]}`);
      // The write must be main's last statement, so `return` changes nothing else.
      if (lines.slice(i + 1, bodyEnd).some((l) => l.trim() !== '' && !l.trim().startsWith('#')))
        return null;
    }
  }
  if (!reader || !writer || !replace.has(lastStatement)) return null;

  // After main: `main()` or an `if __name__ == "__main__":` block that only calls it.
  for (let i = bodyEnd; i < lines.length; i++) {
    const line = lines[i];
    if (/^main\(\s*\)\s*(?:#.*)?$/.test(line)) remove.add(i);
    else if (/^if\s+__name__\s*==\s*(['"])__main__\1\s*:\s*(?:#.*)?$/.test(line)) {
      let j = i + 1;
      while (j < lines.length && (lines[j].trim() === '' || indentOf(lines[j]) > 0)) {
        const inner = lines[j].trim();
        if (inner !== '' && !inner.startsWith('#') && !/^main\(\s*\)$/.test(inner)) return null;
        j++;
      }
      for (let k = i; k < j; k++) remove.add(k);
      i = j - 1;
    }
  }

  const rewritten = lines.flatMap((line, i) => {
    if (remove.has(i)) return [];
    if (i === def) return ['def transform(df):'];
    return [replace.get(i) ?? line];
  });
  let text = rewritten.join('\n');
  // Anything still naming main or a path variable was a use this rewrite does not know.
  if (/\bmain\b/.test(text.replace(/^def transform\(df\):$/m, ''))) return null;
  for (const name of [input.name, output.name])
    if (name && new RegExp(`\\b${escape(name)}\\b`).test(text)) return null;
  if (/INPUT_FILE_PATH|OUTPUT_FILE_PATH/.test(text)) return null;
  if (!/\bos\b/.test(text.replace(/^import os[ \t]*(?:#.*)?$/m, '')))
    text = text.replace(/^import os[ \t]*(?:#.*)?\n?/m, '');
  text = text.replace(/\n{3,}$/, '\n').replace(/\n*$/, '\n');

  return {
    code: text,
    note:
      `rewrote the script's main() into transform(df): it read INPUT_FILE_PATH with ` +
      `pd.${reader[2]}() and now takes the table as df; it wrote ${writer[1]} to ` +
      `OUTPUT_FILE_PATH with .${writer[2]}() and now returns it`,
  };
}
