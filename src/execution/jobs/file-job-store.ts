import { Injectable, OnModuleInit } from '@nestjs/common';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertFileSafeId,
  isFileSafeId,
  nullPrototype,
  PathQueue,
  writeJsonAtomic,
} from '../../common/json/json-files';
import type { JsonRow } from '../../duckdb/duckdb.service';
import { JobRecord, JobStatus } from './job';
import { JobStore, JobUpdate } from './job-store';

/** The folder in a session's folder that holds its job records (`<job id>.json`). */
export const JOBS_DIR = 'jobs';

/** What a job cut short by a restart says (it was queued or running when the server stopped). */
export const RESTART_CUT_JOB = 'the server restarted before this job finished; run it again';

const STATUSES: readonly JobStatus[] = ['queued', 'running', 'success', 'error'];

/**
 * Jobs as `<INBOUND_DIR>/<session id>/jobs/<job id>.json` (the embedded shape: jobs
 * survive a restart with their session). Writes go to disk (atomically, mode 0600, one
 * at a time per job and in order) before they answer, over a map in memory that answers
 * reads. Loaded from disk once, before the first operation: a job found queued or running
 * there was cut short by the restart and is recorded as failed (RESTART_CUT_JOB); a file
 * that cannot be read is skipped and reported through `warn`.
 */
@Injectable()
export class FileJobStore extends JobStore implements OnModuleInit {
  private readonly bySession = new Map<string, Map<string, JobRecord>>();
  private readonly files = new PathQueue();
  private loading?: Promise<void>;

  constructor(
    private readonly inboundDir: string,
    private readonly warn: (fields: Record<string, unknown>) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /** Loads the jobs on disk (Nest awaits it at start; every operation awaits it too). */
  onModuleInit(): Promise<void> {
    return this.ready();
  }

  async create(job: JobRecord): Promise<void> {
    await this.ready();
    let jobs = this.bySession.get(job.sessionId);
    if (!jobs) this.bySession.set(job.sessionId, (jobs = new Map<string, JobRecord>()));
    jobs.set(job.id, copyOf(job));
    await this.persist(job.sessionId, job.id);
  }

  async get(sessionId: string, jobId: string): Promise<JobRecord | undefined> {
    await this.ready();
    return this.bySession.get(sessionId)?.get(jobId);
  }

  async update(
    sessionId: string,
    jobId: string,
    update: JobUpdate,
  ): Promise<JobRecord | undefined> {
    await this.ready();
    const jobs = this.bySession.get(sessionId);
    const job = jobs?.get(jobId);
    if (!jobs || !job) return undefined;
    // A new object, so a record handed out earlier never changes under its reader.
    const next = copyOf({ ...job, ...update });
    jobs.set(jobId, next);
    await this.persist(sessionId, jobId);
    return next;
  }

  async delete(sessionId: string, jobId: string): Promise<boolean> {
    await this.ready();
    if (!this.bySession.get(sessionId)?.delete(jobId)) return false;
    const file = this.fileOf(sessionId, jobId);
    await this.files.run(file, () => rm(file, { force: true }));
    return true;
  }

  async list(sessionId: string): Promise<JobRecord[]> {
    await this.ready();
    return [...(this.bySession.get(sessionId)?.values() ?? [])];
  }

  async deleteSession(sessionId: string): Promise<JobRecord[]> {
    await this.ready();
    const jobs = [...(this.bySession.get(sessionId)?.values() ?? [])];
    this.bySession.delete(sessionId);
    // Writes under way finish first, so none brings a file back after the folder goes.
    await Promise.all(
      jobs.map((job) => {
        const file = this.fileOf(sessionId, job.id);
        return this.files.run(file, () => rm(file, { force: true }));
      }),
    );
    await rm(this.dirOf(sessionId), { recursive: true, force: true });
    return jobs;
  }

  private async persist(sessionId: string, jobId: string): Promise<void> {
    const file = this.fileOf(sessionId, jobId);
    await this.files.run(file, async () => {
      // The latest state when the write's turn comes; nothing when the job has gone.
      const current = this.bySession.get(sessionId)?.get(jobId);
      if (current) await writeJsonAtomic(file, current);
    });
  }

  private ready(): Promise<void> {
    return (this.loading ??= this.load());
  }

  private dirOf(sessionId: string): string {
    return join(this.inboundDir, assertFileSafeId(sessionId), JOBS_DIR);
  }

  private fileOf(sessionId: string, jobId: string): string {
    return join(this.dirOf(sessionId), `${assertFileSafeId(jobId)}.json`);
  }

  private async load(): Promise<void> {
    const sessions = await readdir(this.inboundDir, { withFileTypes: true }).catch(() => []);
    const loaded: JobRecord[] = [];
    const cut: JobRecord[] = [];
    for (const session of sessions) {
      if (!session.isDirectory() || !isFileSafeId(session.name)) continue;
      const dir = join(this.inboundDir, session.name, JOBS_DIR);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const file = join(dir, name);
        try {
          const job = revive(JSON.parse(await readFile(file, 'utf8')) as JobRecord);
          if (!isJob(job) || job.sessionId !== session.name || `${job.id}.json` !== name)
            throw new Error('not a job record');
          if (job.status === 'queued' || job.status === 'running') {
            Object.assign(job, {
              status: 'error',
              errorMessage: RESTART_CUT_JOB,
              finishedAt: this.now(),
            });
            cut.push(job);
          }
          loaded.push(job);
        } catch (error) {
          this.warn({
            msg: 'skipped a job record that could not be read',
            file,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    loaded.sort((a, b) => a.createdAt - b.createdAt);
    for (const job of loaded) {
      let jobs = this.bySession.get(job.sessionId);
      if (!jobs) this.bySession.set(job.sessionId, (jobs = new Map<string, JobRecord>()));
      jobs.set(job.id, job);
    }
    await Promise.all(cut.map((job) => this.persist(job.sessionId, job.id)));
  }
}

/** A deep copy as JSON gives it back (what a reload would read), null prototypes restored. */
function copyOf(job: JobRecord): JobRecord {
  return revive(JSON.parse(JSON.stringify(job)) as JobRecord);
}

/** JSON gives plain objects back: preview rows (keyed by output column names) get their null prototype again. */
function revive(job: JobRecord): JobRecord {
  if (job && Array.isArray(job.previewRows))
    job.previewRows = job.previewRows.map((row) => nullPrototype(row) as JsonRow);
  return job;
}

function isJob(value: unknown): value is JobRecord {
  const j = value as JobRecord;
  return (
    typeof j === 'object' &&
    j !== null &&
    typeof j.id === 'string' &&
    typeof j.sessionId === 'string' &&
    STATUSES.includes(j.status) &&
    typeof j.createdAt === 'number' &&
    Array.isArray(j.previewRows) &&
    Array.isArray(j.outputSchema) &&
    Array.isArray(j.outputColumns)
  );
}
