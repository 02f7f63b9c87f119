export interface UniqueColumns {
  names: string[];
  /** `{original: new}` for names that were empty or repeated (null prototype: keys are file text). */
  renamed: Record<string, string>;
}

/**
 * Column names as `pandas.read_csv` / `read_excel` (pandas 1.5.3) give them: a blank
 * header cell is `Unnamed: <position>`, a repeat gets `.1`, `.2`, ... skipping names the
 * header already holds, and named columns keep their names before unnamed ones are
 * mangled (pandas/_libs/parsers.pyx `_get_header`). Names are otherwise kept exactly,
 * spaces and all. Without a header row (`hasHeader` false) columns are `column_1..n`.
 */
export function makeUniqueColumnNames(header: (string | null)[], hasHeader = true): UniqueColumns {
  const renamed = Object.create(null) as Record<string, string>;
  if (!hasHeader) return { names: header.map((_, i) => `column_${i + 1}`), renamed };

  const unnamed: number[] = [];
  const names = header.map((name, i) => {
    if (name === null || name === '') {
      unnamed.push(i);
      return `Unnamed: ${i}`;
    }
    return name;
  });
  const present = new Set(names);
  const counts = new Map<string, number>();
  const unnamedSet = new Set(unnamed);
  const order = [...names.keys()].filter((i) => !unnamedSet.has(i)).concat(unnamed);
  for (const i of order) {
    const original = names[i];
    let name = original;
    let count = counts.get(name) ?? 0;
    while (count > 0) {
      counts.set(original, count + 1);
      name = `${original}.${count}`;
      count = present.has(name) ? count + 1 : (counts.get(name) ?? 0);
    }
    names[i] = name;
    counts.set(name, count + 1);
  }
  names.forEach((name, i) => {
    const original = header[i] ?? '';
    if (name === original) return;
    // A repeated original (two blanks, say) is told apart by its position.
    const label = original in renamed ? `${original} (column ${i + 1})` : original;
    renamed[label] = name;
  });
  return { names, renamed };
}
