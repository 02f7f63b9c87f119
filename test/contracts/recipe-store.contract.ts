import { Recipe } from '../../src/recipes/recipe';
import { RecipeStore } from '../../src/recipes/recipe-store';

function recipe(id: string, createdAt: number): Recipe {
  return {
    id,
    name: `recipe ${id}`,
    description: id === 'r1' ? null : 'keeps the big orders',
    steps: ['def transform(df):\n    return df\n', 'def transform(df):\n    return df.head(1)\n'],
    inputColumns: ['a', '__proto__', 'b c'],
    inputDtypes: ['int64', 'object', 'float64'],
    createdAt,
  };
}

/** What every RecipeStore adapter must do; `factory` answers a fresh, empty store. */
export function recipeStoreContract(
  name: string,
  factory: () => Promise<{ store: RecipeStore; close?: () => Promise<void> }>,
): void {
  describe(`RecipeStore contract: ${name}`, () => {
    let store: RecipeStore;
    let close: (() => Promise<void>) | undefined;
    beforeEach(async () => ({ store, close } = await factory()));
    afterEach(async () => close?.());

    it('gives back a saved recipe as plain data; an unknown id is undefined', async () => {
      await store.save(recipe('r1', 1_000));
      expect(await store.get('r1')).toEqual(recipe('r1', 1_000));
      expect(await store.get('r2')).toBeUndefined();
    });

    it('is not changed by changing the object it was saved from', async () => {
      const r = recipe('r1', 1_000);
      await store.save(r);
      r.steps.push('changed');
      r.name = 'changed';
      expect(await store.get('r1')).toEqual(recipe('r1', 1_000));
    });

    it('lists every recipe newest first', async () => {
      await store.save(recipe('r2', 2_000));
      await store.save(recipe('r1', 1_000));
      await store.save(recipe('r3', 3_000));
      expect((await store.list()).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    });

    it('deletes once: true for the call that found it, then gone from get and list', async () => {
      await store.save(recipe('r1', 1_000));
      await store.save(recipe('r2', 2_000));
      const results = await Promise.all([store.delete('r1'), store.delete('r1')]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.delete('r1')).toBe(false);
      expect(await store.get('r1')).toBeUndefined();
      expect((await store.list()).map((r) => r.id)).toEqual(['r2']);
    });

    it('replaces a recipe saved again under the same id', async () => {
      await store.save(recipe('r1', 1_000));
      await store.save({ ...recipe('r1', 1_000), name: 'renamed' });
      expect((await store.get('r1'))?.name).toBe('renamed');
      expect(await store.list()).toHaveLength(1);
    });
  });
}
