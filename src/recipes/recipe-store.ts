import { Recipe } from './recipe';

/**
 * Where recipes live (port): files under INBOUND_DIR/recipes in the embedded shape, Redis
 * in the distributed one. Kept until deleted (no expiry). Recipes do not change once
 * saved; a store may hand back copies.
 */
export abstract class RecipeStore {
  /** Stores the recipe under its id (replacing one with the same id). */
  abstract save(recipe: Recipe): Promise<void>;

  /** The recipe, or undefined. */
  abstract get(id: string): Promise<Recipe | undefined>;

  /** Removes the recipe; true only for the one call that found it. */
  abstract delete(id: string): Promise<boolean>;

  /** Every recipe, newest first (by createdAt). */
  abstract list(): Promise<Recipe[]>;
}
