/**
 * Long text values in previews and row pages (api.md "Bounds"): a value longer than the
 * cap is cut to the cap and followed by `… [cut: <full length> chars]`. Lengths count
 * Unicode code points, as Python's `len()` (and so pandas' `str.len()`) does; DuckDB's
 * `length()` and `left()` count the same way, so the cut happens in SQL and the long
 * value never enters JavaScript.
 */

/** The marker after a cut value; `fullLength` in code points. */
export function cutMarker(fullLength: number): string {
  return `… [cut: ${fullLength} chars]`;
}

/** What the SQL of `cutTextSql` gives, in JavaScript (for tests and small values). */
export function cutText(value: string, maxChars: number): string {
  const points = Array.from(value);
  if (points.length <= maxChars) return value;
  return points.slice(0, maxChars).join('') + cutMarker(points.length);
}

/** SQL for VARCHAR expression `c` cut to `maxChars` code points with the marker. */
export function cutTextSql(c: string, maxChars: number): string {
  const cap = Math.floor(maxChars);
  return `CASE WHEN length(${c}) > ${cap} THEN left(${c}, ${cap}) || '… [cut: ' || CAST(length(${c}) AS VARCHAR) || ' chars]' ELSE ${c} END`;
}

/**
 * How many of the first rows fit in `maxBytes`, given each row's size in bytes in order
 * (the first row counts in any case when `keepFirst`). Pages measure their rows in one
 * narrow query (order, size) and then read only the rows that fit: a window function over
 * every column would hold the whole wide page in memory (issue 9).
 */
export function rowsWithinBytes(
  sizes: readonly number[],
  maxBytes: number,
  keepFirst: boolean,
): number {
  let total = 0;
  for (let n = 0; n < sizes.length; n++) {
    total += sizes[n];
    if (total > maxBytes) return keepFirst && n === 0 ? 1 : n;
  }
  return sizes.length;
}

/**
 * The sum of SQL terms as one flat expression (NULL terms count 0): a chain of `+` over
 * thousands of columns would pass DuckDB's expression depth limit (1000).
 */
export function sumSql(terms: string[]): string {
  return terms.length === 0 ? '0' : `COALESCE(list_sum([${terms.join(', ')}]), 0)`;
}
