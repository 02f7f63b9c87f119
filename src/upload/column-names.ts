export interface UniqueColumns {
  names: string[];
  /** `{original: new}` for names that were empty or repeated. */
  renamed: Record<string, string>;
}

/** Longest name we keep; longer ones are cut (they end up in prompts and file headers). */
export const MAX_COLUMN_NAME_LENGTH = 200;

function clean(name: string | null): string {
  if (name === null) return '';
  // Control and invisible format characters (bidi overrides, zero-width) break CSV
  // headers, prompts and what people see; edges of whitespace are noise.
  return name
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .trim()
    .slice(0, MAX_COLUMN_NAME_LENGTH);
}

/**
 * Makes every column name non-empty and unique, the way pandas users expect:
 * a missing name becomes `column_<position>`, a repeat gets `_2`, `_3`, ...
 */
export function makeUniqueColumnNames(header: (string | null)[], hasHeader = true): UniqueColumns {
  const names: string[] = [];
  const renamed: Record<string, string> = {};
  // DuckDB (and so the cache) compares identifiers case-insensitively: `Amount` and
  // `amount` are the same column there, so uniqueness is decided on lower case.
  const key = (name: string): string => name.toLowerCase();
  const taken = new Set<string>();
  const cleaned = header.map(clean);
  // Names that appear as-is are reserved first so a generated name never steals one.
  const reserved = new Set(cleaned.filter((n) => n !== '').map(key));
  const used = (name: string): boolean => taken.has(key(name)) || reserved.has(key(name));

  cleaned.forEach((name, i) => {
    let candidate = name === '' ? `column_${i + 1}` : name;
    if (taken.has(key(candidate)) || (name === '' && reserved.has(key(candidate)))) {
      const base = candidate;
      let n = 2;
      while (used(`${base}_${n}`)) n++;
      candidate = `${base}_${n}`;
    }
    taken.add(key(candidate));
    names.push(candidate);
    const original = header[i] ?? '';
    if (hasHeader && candidate !== original && (name === '' || candidate !== name)) {
      // Key by the original text; a repeated original keeps the first rename of it.
      const label = original in renamed ? `${original} (column ${i + 1})` : original;
      renamed[label] = candidate;
    }
  });
  return { names, renamed };
}
