import type Redis from 'ioredis';
import { isRecipe, Recipe } from './recipe';
import { RecipeStore } from './recipe-store';

/**
 * Recipes in Redis (the distributed shape): each a JSON string at `<prefix>recipe:<id>`
 * without expiry, and a sorted set `<prefix>recipes` (score createdAt) for `list()`.
 * A value that is not a recipe is left out (and its id dropped from the set).
 */
export class RedisRecipeStore extends RecipeStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'acb:',
  ) {
    super();
  }

  private key(id: string): string {
    return `${this.prefix}recipe:${id}`;
  }

  private get index(): string {
    return `${this.prefix}recipes`;
  }

  async save(recipe: Recipe): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(recipe.id), JSON.stringify(recipe))
      .zadd(this.index, recipe.createdAt, recipe.id)
      .exec();
  }

  async get(id: string): Promise<Recipe | undefined> {
    return parseRecipe(await this.redis.get(this.key(id)));
  }

  async delete(id: string): Promise<boolean> {
    const results = await this.redis.multi().del(this.key(id)).zrem(this.index, id).exec();
    return results?.[0]?.[1] === 1;
  }

  async list(): Promise<Recipe[]> {
    const ids = await this.redis.zrange(this.index, 0, -1, 'REV');
    if (ids.length === 0) return [];
    const recipes = (await this.redis.mget(ids.map((id) => this.key(id)))).map(parseRecipe);
    const gone = ids.filter((_, i) => recipes[i] === undefined);
    if (gone.length > 0) await this.redis.zrem(this.index, ...gone);
    return recipes.filter((r): r is Recipe => r !== undefined);
  }
}

function parseRecipe(text: string | null): Recipe | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecipe(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
