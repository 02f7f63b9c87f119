/**
 * A copy of `record` with a null prototype, as the app keeps maps keyed by user text
 * (column names): after JSON.parse such a map is a plain object again, and a key like
 * `__proto__` must stay an own key rather than reach Object.prototype.
 */
export function nullPrototype<T>(record: Record<string, T>): Record<string, T> {
  const copy = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(record)) {
    Object.defineProperty(copy, key, {
      value: record[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
