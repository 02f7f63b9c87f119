import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApplyRecipeRequestDto } from './dto/apply-recipe-request.dto';
import { AppliedRecipeDto, RecipeDto, RecipeListDto } from './dto/recipe-response.dto';
import { SaveRecipeRequestDto } from './dto/save-recipe-request.dto';
import { RecipesService } from './recipes.service';

@ApiTags('recipes')
@Controller('recipes')
export class RecipesController {
  constructor(private readonly recipes: RecipesService) {}

  @Post()
  @ApiCreatedResponse({ type: RecipeDto })
  @ApiBadRequestResponse({ description: 'A step fails the static check' })
  @ApiNotFoundResponse({ description: 'Unknown or expired session, or unknown job' })
  @ApiConflictResponse({ description: 'The job is not success' })
  @ApiUnprocessableEntityResponse({ description: 'Body validation failed' })
  async save(@Body() body: SaveRecipeRequestDto): Promise<RecipeDto> {
    return RecipeDto.from(
      await this.recipes.save(body.session_id, body.job_id, body.name, body.description ?? null),
    );
  }

  @Get()
  @ApiOkResponse({ type: RecipeListDto })
  async list(): Promise<RecipeListDto> {
    return { recipes: (await this.recipes.list()).map((r) => RecipeDto.from(r)) };
  }

  @Get(':recipe_id')
  @ApiOkResponse({ type: RecipeDto })
  @ApiNotFoundResponse({ description: 'Unknown recipe' })
  async get(@Param('recipe_id') recipeId: string): Promise<RecipeDto> {
    return RecipeDto.from(await this.recipes.get(recipeId));
  }

  @Delete(':recipe_id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'Unknown recipe' })
  async delete(@Param('recipe_id') recipeId: string): Promise<void> {
    await this.recipes.delete(recipeId);
  }

  @Post(':recipe_id/apply')
  @HttpCode(200)
  @ApiOkResponse({ type: AppliedRecipeDto, description: 'The chain is queued; poll its jobs' })
  @ApiNotFoundResponse({ description: 'Unknown recipe, or unknown or expired session' })
  @ApiConflictResponse({
    description:
      "The session's data lacks an input column: {detail, missing_columns, type_changes: " +
      '{column: {was, now}}}; nothing runs',
  })
  @ApiUnprocessableEntityResponse({ description: 'Body validation failed' })
  @ApiServiceUnavailableResponse({
    description: 'Queue full, shutting down, or execution disabled',
  })
  async apply(
    @Param('recipe_id') recipeId: string,
    @Body() body: ApplyRecipeRequestDto,
  ): Promise<AppliedRecipeDto> {
    return AppliedRecipeDto.from(await this.recipes.apply(recipeId, body.session_id));
  }
}
