/** One code per kind of failure; the global filter's `Record` gives each its HTTP status. */
export type DomainErrorCode =
  | 'session_not_found'
  | 'job_not_found'
  | 'output_not_available'
  | 'upload_rejected'
  | 'upload_too_large'
  | 'code_rejected'
  | 'unusable_request'
  | 'model_unavailable'
  | 'work_not_accepted'
  | 'limit_reached'
  | 'storage_budget_exceeded'
  | 'conflict'
  | 'recipe_not_found';

/**
 * Errors the services throw; the global filter maps each code to one HTTP status.
 * Messages are written for the person using the app: no paths, no stack, no secrets.
 */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  /** When set, the response carries `Retry-After` with these whole seconds. */
  readonly retryAfterSeconds?: number;
  /** Fields the response body carries next to `detail` (snake_case, as the contract names them). */
  readonly extra?: Record<string, unknown>;

  protected constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Ids are UUIDs (36 characters); a longer one is cut so a message never echoes a whole path. */
const MAX_QUOTED_ID_CHARS = 64;
const quotedId = (id: string): string =>
  id.length > MAX_QUOTED_ID_CHARS ? `${id.slice(0, MAX_QUOTED_ID_CHARS)}…` : id;

export class SessionNotFound extends DomainError {
  readonly code = 'session_not_found';

  constructor(readonly sessionId: string) {
    super(`Session '${quotedId(sessionId)}' not found`);
  }
}

export class JobNotFound extends DomainError {
  readonly code = 'job_not_found';

  constructor(readonly jobId: string) {
    super(`Job '${quotedId(jobId)}' not found`);
  }
}

/** The job exists but has no output (yet, or ever). */
export class OutputNotAvailable extends DomainError {
  readonly code = 'output_not_available';

  constructor(
    readonly jobId: string,
    status: string,
  ) {
    super(`Job '${jobId}' has no output: its status is '${status}'`);
  }
}

/** The uploaded file cannot be used; the message says why. */
export class UploadRejected extends DomainError {
  readonly code = 'upload_rejected';

  constructor(message: string) {
    super(message);
  }
}

export class UploadTooLarge extends DomainError {
  readonly code = 'upload_too_large';

  constructor(readonly maxBytes: number) {
    super(`File is larger than the ${Math.round(maxBytes / (1024 * 1024))} MB upload limit`);
  }
}

/** Code failed the static check before running. */
export class CodeRejected extends DomainError {
  readonly code = 'code_rejected';

  constructor(readonly violations: string[]) {
    super(`Code rejected: ${violations.join('; ')}`);
  }
}

/** The request cannot be served as asked: a body that is not JSON, an unknown format, a bad range. */
export class UnusableRequest extends DomainError {
  readonly code = 'unusable_request';

  constructor(message: string) {
    super(message);
  }
}

/** The AI model cannot be used (no API key configured, and the like). */
export class ModelUnavailable extends DomainError {
  readonly code = 'model_unavailable';

  constructor(message: string) {
    super(message);
  }
}

/** The service cannot take the work now (queue full, no usable sandbox, shutting down). */
export class WorkNotAccepted extends DomainError {
  readonly code = 'work_not_accepted';

  constructor(
    message: string,
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * One client or session holds as much as a limit allows (jobs, sessions, model streams);
 * the message names the limit and the retry time.
 */
export class LimitReached extends DomainError {
  readonly code = 'limit_reached';

  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** An upload or a job's output would take a session or the server past a storage budget. */
export class StorageBudgetExceeded extends DomainError {
  readonly code = 'storage_budget_exceeded';

  constructor(message: string) {
    super(message);
  }
}

/**
 * The request fits the contract but not the state of what it names (a recipe from a job
 * that did not succeed, a recipe applied to data without its columns); `extra` goes into
 * the body next to `detail`.
 */
export class Conflict extends DomainError {
  readonly code = 'conflict';

  constructor(
    message: string,
    override readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class RecipeNotFound extends DomainError {
  readonly code = 'recipe_not_found';

  constructor(readonly recipeId: string) {
    super(`Recipe '${quotedId(recipeId)}' not found`);
  }
}
