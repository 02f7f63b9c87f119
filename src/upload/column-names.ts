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
  const taken = new Set<string>();
  const cleaned = header.map(clean);
  // Names that appear as-is are reserved first so a generated name never steals one.
  const reserved = new Set(cleaned.filter((n) => n !== ''));

  cleaned.forEach((name, i) => {
    let candidate = name === '' ? `column_${i + 1}` : name;
    if (taken.has(candidate) || (name === '' && reserved.has(candidate))) {
      const base = candidate;
      let n = 2;
      while (taken.has(`${base}_${n}`) || reserved.has(`${base}_${n}`)) n++;
      candidate = `${base}_${n}`;
    }
    taken.add(candidate);
    names.push(candidate);
    const original = header[i] ?? '';
    if (hasHeader && candidate !== original && (name === '' || candidate !== name)) {
      // Key by the original text; a repeated original keeps the first rename of it.
      const key = original in renamed ? `${original} (column ${i + 1})` : original;
      renamed[key] = candidate;
    }
  });
  return { names, renamed };
}
