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
 * Keeps the first rows of `query` while their running total of `__bytes` stays within
 * `maxBytes` (and the first row in any case when `keepFirst`); `query` must give each
 * row its place in `__order`. Selects `columns`, in order.
 */
export function withinBytesSql(
  query: string,
  columns: string[],
  maxBytes: number,
  keepFirst: boolean,
): string {
  const order = 'ORDER BY __order ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';
  const keep = keepFirst ? '__n = 1 OR ' : '';
  return (
    `SELECT ${columns.join(', ')} FROM (SELECT *, sum(__bytes) OVER (${order}) AS __total, ` +
    `row_number() OVER (${order}) AS __n FROM (${query})) ` +
    `WHERE ${keep}__total <= ${Math.floor(maxBytes)} ORDER BY __order`
  );
}

/**
 * The sum of SQL terms as one flat expression (NULL terms count 0): a chain of `+` over
 * thousands of columns would pass DuckDB's expression depth limit (1000).
 */
export function sumSql(terms: string[]): string {
  return terms.length === 0 ? '0' : `COALESCE(list_sum([${terms.join(', ')}]), 0)`;
}
