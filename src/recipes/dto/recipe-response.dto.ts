import { ApiProperty } from '@nestjs/swagger';
import { AppliedRecipe } from '../recipes.service';
import { Recipe } from '../recipe';

export class RecipeDto {
  @ApiProperty({ format: 'uuid' }) recipe_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ description: "The last step (the saved job's module)" }) code!: string;
  @ApiProperty({ type: [String], description: "Every step's module, in the order they run" })
  steps!: string[];
  @ApiProperty({ type: [String], description: 'Columns of the data the first step ran on' })
  input_columns!: string[];
  @ApiProperty({ type: [String], description: 'The pandas dtype of each input column' })
  input_dtypes!: string[];
  @ApiProperty({ description: 'ISO 8601' }) created_at!: string;

  static from(recipe: Recipe): RecipeDto {
    return {
      recipe_id: recipe.id,
      name: recipe.name,
      description: recipe.description,
      code: recipe.steps[recipe.steps.length - 1],
      steps: recipe.steps,
      input_columns: recipe.inputColumns,
      input_dtypes: recipe.inputDtypes,
      created_at: new Date(recipe.createdAt).toISOString(),
    };
  }
}

export class RecipeListDto {
  @ApiProperty({ type: [RecipeDto], description: 'Newest first' }) recipes!: RecipeDto[];
}

export class AppliedRecipeDto {
  @ApiProperty({ format: 'uuid', description: "The last step's job: poll it for the outcome" })
  job_id!: string;

  @ApiProperty({
    type: [String],
    description:
      "Every step's job, in order; a step waiting for the one before it reads `queued`, " +
      'and when a step fails the ones after it end `error`',
  })
  job_ids!: string[];

  @ApiProperty({ type: [String], description: 'One sentence per column whose dtype differs' })
  warnings!: string[];

  static from(applied: AppliedRecipe): AppliedRecipeDto {
    return { job_id: applied.jobId, job_ids: applied.jobIds, warnings: applied.warnings };
  }
}
