/**
 * `{keys[i]: values[i]}` as a null-prototype object, for JSON bodies keyed by user text:
 * a key such as `__proto__` or `constructor` stays an ordinary own property.
 */
export function recordOf<T>(keys: readonly string[], values: readonly T[]): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  keys.forEach((key, i) => {
    out[key] = values[i];
  });
  return out;
}
