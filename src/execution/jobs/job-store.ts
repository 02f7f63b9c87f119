import { JobRecord } from './job';

/** Fields of a job that change after it is created. */
export type JobUpdate = Partial<Omit<JobRecord, 'id' | 'sessionId' | 'createdAt'>>;

/**
 * Where job records live (port; in-memory today, a file or Redis next). Records are plain
 * data: a store may hand back copies, so callers change a job only through `update`.
 */
export abstract class JobStore {
  /** Stores a new job under its session. */
  abstract create(job: JobRecord): Promise<void>;

  /** The job, or undefined when the session has no job with that id. */
  abstract get(sessionId: string, jobId: string): Promise<JobRecord | undefined>;

  /** Applies `update` and answers the job as it now is; undefined when it is gone. */
  abstract update(
    sessionId: string,
    jobId: string,
    update: JobUpdate,
  ): Promise<JobRecord | undefined>;

  /** Forgets one job (one that was never queued); true when it was there. */
  abstract delete(sessionId: string, jobId: string): Promise<boolean>;

  /** The session's jobs, oldest first. */
  abstract list(sessionId: string): Promise<JobRecord[]>;

  /** Forgets the session's jobs and answers them (the caller lets go of their outputs). */
  abstract deleteSession(sessionId: string): Promise<JobRecord[]>;
}
