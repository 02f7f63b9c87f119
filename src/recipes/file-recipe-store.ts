import { Injectable, OnModuleInit } from '@nestjs/common';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertFileSafeId,
  isFileSafeId,
  PathQueue,
  writeJsonAtomic,
} from '../common/json/json-files';
import { isRecipe, Recipe } from './recipe';
import { RecipeStore } from './recipe-store';

/** The folder of INBOUND_DIR that holds the recipes (the leftover sweep never touches it). */
export const RECIPES_DIR = 'recipes';

/** Where a store reports a file it could not read (a log line; never a crash). */
export type RecipeStoreWarn = (fields: Record<string, unknown>) => void;

/**
 * Recipes as `<INBOUND_DIR>/recipes/<recipe id>.json` (the embedded shape: they survive a
 * restart). Every save and delete goes to disk (atomically: temp file and rename, mode
 * 0600) before it answers, over a map in memory that answers reads, loaded once before
 * the first operation; a file that cannot be read or parsed is skipped and reported.
 */
@Injectable()
export class FileRecipeStore extends RecipeStore implements OnModuleInit {
  private readonly recipes = new Map<string, Recipe>();
  private readonly files = new PathQueue();
  private readonly dir: string;
  private loading?: Promise<void>;

  constructor(
    inboundDir: string,
    private readonly warn: RecipeStoreWarn = () => undefined,
  ) {
    super();
    this.dir = join(inboundDir, RECIPES_DIR);
  }

  onModuleInit(): Promise<void> {
    return this.ready();
  }

  async save(recipe: Recipe): Promise<void> {
    await this.ready();
    const file = this.fileOf(recipe.id);
    this.recipes.set(recipe.id, JSON.parse(JSON.stringify(recipe)) as Recipe);
    await this.files.run(file, async () => {
      const current = this.recipes.get(recipe.id);
      if (current) await writeJsonAtomic(file, current);
    });
  }

  async get(id: string): Promise<Recipe | undefined> {
    await this.ready();
    return this.recipes.get(id);
  }

  async delete(id: string): Promise<boolean> {
    await this.ready();
    if (!this.recipes.delete(id)) return false;
    const file = this.fileOf(id);
    await this.files.run(file, () => rm(file, { force: true }));
    return true;
  }

  async list(): Promise<Recipe[]> {
    await this.ready();
    return [...this.recipes.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  private ready(): Promise<void> {
    return (this.loading ??= this.load());
  }

  private fileOf(id: string): string {
    return join(this.dir, `${assertFileSafeId(id)}.json`);
  }

  private async load(): Promise<void> {
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const id = entry.name.endsWith('.json') ? entry.name.slice(0, -'.json'.length) : '';
      if (!entry.isFile() || !isFileSafeId(id)) continue;
      const file = join(this.dir, entry.name);
      try {
        const recipe: unknown = JSON.parse(await readFile(file, 'utf8'));
        if (!isRecipe(recipe) || recipe.id !== id) throw new Error('not a recipe record');
        this.recipes.set(id, recipe);
      } catch (error) {
        this.warn({
          msg: 'skipped a recipe file that could not be read',
          file,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
