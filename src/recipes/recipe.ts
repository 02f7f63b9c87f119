/**
 * A saved transform: the chain of modules from the first step on an upload to the saved
 * job, with the columns that first step ran on. Plain data (times are epoch ms), so a
 * store can keep it anywhere (see recipe-store.ts).
 */
export interface Recipe {
  id: string;
  name: string;
  description: string | null;
  /** The modules in the order they run; the first ran on the upload. */
  steps: string[];
  /** Column names of the data the first step ran on, in order. */
  inputColumns: string[];
  /** The pandas dtype of each of `inputColumns`, by position. */
  inputDtypes: string[];
  createdAt: number;
}

/** Whether `value` has a recipe's shape (a file or key read back is untrusted). */
export function isRecipe(value: unknown): value is Recipe {
  const r = value as Recipe;
  const strings = (a: unknown): boolean =>
    Array.isArray(a) && a.every((x) => typeof x === 'string');
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.name === 'string' &&
    (r.description === null || typeof r.description === 'string') &&
    strings(r.steps) &&
    r.steps.length > 0 &&
    strings(r.inputColumns) &&
    strings(r.inputDtypes) &&
    r.inputColumns.length === r.inputDtypes.length &&
    typeof r.createdAt === 'number'
  );
}
