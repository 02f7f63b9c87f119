import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CodeRejected,
  Conflict,
  DomainError,
  RecipeNotFound,
} from '../common/errors/domain-errors';
import { recordOf } from '../common/json/record-of';
import { AppLogger } from '../common/logging/app-logger.service';
import { ExecutionService } from '../execution/execution.service';
import { JobRecord } from '../execution/jobs/job';
import { CodeChecker } from '../sandbox';
import { SessionsService } from '../sessions/sessions.service';
import { Recipe } from './recipe';
import { RecipeStore } from './recipe-store';

/** What applying a recipe answers: the chain's jobs in order, the last one's id, warnings. */
export interface AppliedRecipe {
  jobId: string;
  jobIds: string[];
  warnings: string[];
}

const SHUT_DOWN = 'not run: the server shut down before the previous step of the recipe ended';

/**
 * Recipes: save a successful job (with the chain of jobs it ran on) as a named list of
 * steps, and apply one to another session as a chain of jobs.
 *
 * Applying answers every job id at once: step 1 is submitted, each later step is a
 * `queued` record reserved up front (ExecutionService.reserve) that a small chain runner
 * in this process submits, on the previous job's output, once that job succeeds (watched
 * through ExecutionService.watch). When a step fails, or cannot be submitted, the steps
 * after it end `error` saying why; when the server stops, waiting steps end `error` too
 * (and a restart fails any still queued, as for every job cut short).
 */
@Injectable()
export class RecipesService implements BeforeApplicationShutdown {
  private readonly stopping = new AbortController();
  private readonly chains = new Set<Promise<void>>();

  constructor(
    private readonly store: RecipeStore,
    private readonly executions: ExecutionService,
    private readonly sessions: SessionsService,
    private readonly checker: CodeChecker,
    private readonly logger: AppLogger,
  ) {}

  /**
   * Saves job `jobId` of session `sessionId` with every job it ran on (sourceJobId, back to
   * the upload) as a recipe. SessionNotFound, JobNotFound (404); Conflict (409) when the job
   * is not `success` or its code was not kept; CodeRejected (400) when a step fails the
   * static check.
   */
  async save(
    sessionId: string,
    jobId: string,
    name: string,
    description: string | null,
  ): Promise<Recipe> {
    const session = await this.sessions.get(sessionId);
    let job: JobRecord = await this.executions.get(sessionId, jobId);
    if (job.status !== 'success')
      throw new Conflict(
        `Job '${jobId}' cannot be saved as a recipe: its status is '${job.status}'; ` +
          'only a successful job can be saved',
      );
    const steps: string[] = [];
    const seen = new Set<string>();
    for (;;) {
      const code = job.code ?? null;
      if (code === null || seen.has(job.id))
        throw new Conflict(
          `Job '${job.id}' ran before recipes could be saved, so its code was not kept; ` +
            'run it again and save that job',
        );
      seen.add(job.id);
      steps.unshift(code);
      if ((job.sourceJobId ?? null) === null) break;
      job = await this.executions.get(sessionId, job.sourceJobId as string);
    }
    for (const code of steps) {
      const violations = await this.checker.check(code);
      if (violations.length > 0) throw new CodeRejected(violations);
    }
    const recipe: Recipe = {
      id: randomUUID(),
      name,
      description,
      steps,
      inputColumns: [...session.dataset.columns],
      inputDtypes: [...session.dataset.dtypes],
      createdAt: Date.now(),
    };
    await this.store.save(recipe);
    this.logger.log(
      { msg: 'recipe saved', recipe_id: recipe.id, steps: steps.length },
      'RecipesService',
    );
    return recipe;
  }

  /** Every recipe, newest first. */
  list(): Promise<Recipe[]> {
    return this.store.list();
  }

  /** The recipe; RecipeNotFound (404). */
  async get(recipeId: string): Promise<Recipe> {
    const recipe = await this.store.get(recipeId);
    if (!recipe) throw new RecipeNotFound(recipeId);
    return recipe;
  }

  /** Forgets the recipe; RecipeNotFound (404). */
  async delete(recipeId: string): Promise<void> {
    if (!(await this.store.delete(recipeId))) throw new RecipeNotFound(recipeId);
  }

  /**
   * Runs the recipe's steps on session `sessionId`'s upload as a chain of jobs (see the
   * class). RecipeNotFound, SessionNotFound (404); Conflict (409, nothing runs) when the
   * upload lacks one of the recipe's input columns, its body naming `missing_columns` and
   * `type_changes` ({column: {was, now}}); the errors of ExecutionService.submit for step 1.
   * Each column whose dtype differs is a warning.
   */
  async apply(recipeId: string, sessionId: string): Promise<AppliedRecipe> {
    const recipe = await this.get(recipeId);
    const session = await this.sessions.get(sessionId);
    const { columns, dtypes } = session.dataset;
    const dtypeOf = new Map(columns.map((c, i) => [c, dtypes[i]]));
    const missing = recipe.inputColumns.filter((c) => !dtypeOf.has(c));
    const changed = recipe.inputColumns
      .map((column, i) => ({ column, was: recipe.inputDtypes[i], now: dtypeOf.get(column) }))
      .filter((c): c is { column: string; was: string; now: string } => {
        return c.now !== undefined && c.now !== c.was;
      });
    if (missing.length > 0) {
      throw new Conflict(
        `This data lacks ${missing.length === 1 ? 'a column' : 'columns'} the recipe ` +
          `'${recipe.name}' needs: ${missing.map((c) => `'${c}'`).join(', ')}`,
        {
          missing_columns: missing,
          type_changes: recordOf(
            changed.map((c) => c.column),
            changed.map(({ was, now }) => ({ was, now })),
          ),
        },
      );
    }
    const warnings = changed.map(
      ({ column, was, now }) =>
        `Column '${column}' is ${now} here but was ${was} when the recipe was saved; ` +
        'its steps may treat it differently',
    );
    const jobIds = [await this.executions.submit(sessionId, recipe.steps[0])];
    for (let k = 1; k < recipe.steps.length; k++)
      jobIds.push(await this.executions.reserve(sessionId, jobIds[k - 1]));
    if (jobIds.length > 1) {
      const chain = this.runChain(sessionId, recipe.steps, jobIds).catch((error: unknown) =>
        this.logger.error(error, 'RecipesService'),
      );
      this.chains.add(chain);
      void chain.finally(() => this.chains.delete(chain));
    }
    this.logger.log(
      { msg: 'recipe applied', recipe_id: recipe.id, session_id: sessionId, job_ids: jobIds },
      'RecipesService',
    );
    return { jobId: jobIds[jobIds.length - 1], jobIds, warnings };
  }

  /** Stops watching chains; their waiting steps end `error`. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.chains]);
  }

  /** Submits step k once job k-1 succeeds; on failure, ends the waiting steps. */
  private async runChain(sessionId: string, steps: string[], jobIds: string[]): Promise<void> {
    const failRest = async (from: number, message: string): Promise<void> => {
      for (let i = from; i < jobIds.length; i++)
        await this.executions.failReserved(sessionId, jobIds[i], message);
    };
    for (let k = 1; k < steps.length; k++) {
      let last: JobRecord | undefined;
      try {
        for await (const job of this.executions.watch(
          sessionId,
          jobIds[k - 1],
          this.stopping.signal,
        ))
          last = job;
      } catch {
        // The job or its session is gone: so are the reserved records.
        return;
      }
      if (this.stopping.signal.aborted) return failRest(k, SHUT_DOWN);
      if (last?.status !== 'success')
        return failRest(k, `not run: step ${k} of the recipe ended in error`);
      try {
        await this.executions.submit(sessionId, steps[k], jobIds[k - 1], jobIds[k]);
      } catch (error) {
        await failRest(
          k,
          error instanceof DomainError
            ? `not run: ${error.message}`
            : 'not run: the step could not be submitted',
        );
        if (!(error instanceof DomainError)) throw error;
        return;
      }
    }
  }
}
