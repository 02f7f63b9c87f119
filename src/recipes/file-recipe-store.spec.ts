import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recipeStoreContract } from '../../test/contracts/recipe-store.contract';
import { FileRecipeStore, RECIPES_DIR } from './file-recipe-store';
import { Recipe } from './recipe';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'acb-recipes-'));
  dirs.push(dir);
  return dir;
}

recipeStoreContract('file', async () => ({ store: new FileRecipeStore(tempDir()) }));

describe('FileRecipeStore on disk', () => {
  const recipe: Recipe = {
    id: 'r1',
    name: 'n',
    description: null,
    steps: ['def transform(df):\n    return df\n'],
    inputColumns: ['a'],
    inputDtypes: ['int64'],
    createdAt: 5,
  };

  it('writes one 0600 JSON file per recipe and a new store loads it; deleting removes it', async () => {
    const inbound = tempDir();
    await new FileRecipeStore(inbound).save(recipe);
    const dir = join(inbound, RECIPES_DIR);
    expect(readdirSync(dir)).toEqual(['r1.json']);
    expect(statSync(join(dir, 'r1.json')).mode & 0o777).toBe(0o600);
    const reloaded = new FileRecipeStore(inbound);
    expect(await reloaded.list()).toEqual([recipe]);
    expect(await reloaded.delete('r1')).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('skips and reports files that are not recipes, loading the rest', async () => {
    const inbound = tempDir();
    const dir = join(inbound, RECIPES_DIR);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'r1.json'), JSON.stringify(recipe));
    writeFileSync(join(dir, 'bad.json'), '{not json');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...recipe, id: 'r1' }));
    const warnings: Record<string, unknown>[] = [];
    const store = new FileRecipeStore(inbound, (w) => warnings.push(w));
    expect((await store.list()).map((r) => r.id)).toEqual(['r1']);
    expect(warnings.map((w) => w.file)).toEqual(
      expect.arrayContaining([join(dir, 'bad.json'), join(dir, 'other.json')]),
    );
    expect(warnings).toHaveLength(2);
  });

  it('refuses an id that is not file-safe', async () => {
    const store = new FileRecipeStore(tempDir());
    await expect(store.save({ ...recipe, id: '../x' })).rejects.toThrow('not a usable id');
  });
});
