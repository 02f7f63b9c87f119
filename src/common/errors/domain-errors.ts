/**
 * Errors the services throw; the global filter maps each to one HTTP status.
 * Messages are written for the person using the app: no paths, no stack, no secrets.
 */
export abstract class DomainError extends Error {
  protected constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class SessionNotFound extends DomainError {
  constructor(readonly sessionId: string) {
    super(`Session '${sessionId}' not found`);
  }
}

export class JobNotFound extends DomainError {
  constructor(readonly jobId: string) {
    super(`Job '${jobId}' not found`);
  }
}

/** The job exists but has no output (yet, or ever). */
export class OutputNotAvailable extends DomainError {
  constructor(
    readonly jobId: string,
    status: string,
  ) {
    super(`Job '${jobId}' has no output: its status is '${status}'`);
  }
}

/** The uploaded file cannot be used; the message says why. */
export class UploadRejected extends DomainError {
  constructor(message: string) {
    super(message);
  }
}

export class UploadTooLarge extends DomainError {
  constructor(readonly maxBytes: number) {
    super(`File is larger than the ${Math.round(maxBytes / (1024 * 1024))} MB upload limit`);
  }
}

/** Code failed the static check before running. */
export class CodeRejected extends DomainError {
  constructor(readonly violations: string[]) {
    super(`Code rejected: ${violations.join('; ')}`);
  }
}

/** A request parameter is valid JSON but not usable (unknown format, bad range). */
export class BadRequest extends DomainError {
  constructor(message: string) {
    super(message);
  }
}

/** The AI model cannot be used (no API key configured, and the like). */
export class ModelUnavailable extends DomainError {
  constructor(message: string) {
    super(message);
  }
}

/** The service cannot take the work now (queue full, sandbox refused to start). */
export class ServiceUnavailable extends DomainError {
  constructor(message: string) {
    super(message);
  }
}
