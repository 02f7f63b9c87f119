import { Injectable } from '@nestjs/common';
import { JobRecord } from './job';
import { JobStore, JobUpdate } from './job-store';

/** Jobs in this process's memory, by session then id (insertion order is creation order). */
@Injectable()
export class InMemoryJobStore extends JobStore {
  private readonly bySession = new Map<string, Map<string, JobRecord>>();

  async create(job: JobRecord): Promise<void> {
    let jobs = this.bySession.get(job.sessionId);
    if (!jobs) this.bySession.set(job.sessionId, (jobs = new Map<string, JobRecord>()));
    jobs.set(job.id, { ...job });
  }

  async get(sessionId: string, jobId: string): Promise<JobRecord | undefined> {
    return this.bySession.get(sessionId)?.get(jobId);
  }

  async update(
    sessionId: string,
    jobId: string,
    update: JobUpdate,
  ): Promise<JobRecord | undefined> {
    const jobs = this.bySession.get(sessionId);
    const job = jobs?.get(jobId);
    if (!jobs || !job) return undefined;
    // A new object, so a record handed out earlier never changes under its reader.
    const next = { ...job, ...update };
    jobs.set(jobId, next);
    return next;
  }

  async delete(sessionId: string, jobId: string): Promise<boolean> {
    return this.bySession.get(sessionId)?.delete(jobId) ?? false;
  }

  async list(sessionId: string): Promise<JobRecord[]> {
    return [...(this.bySession.get(sessionId)?.values() ?? [])];
  }

  async deleteSession(sessionId: string): Promise<JobRecord[]> {
    const jobs = this.bySession.get(sessionId);
    this.bySession.delete(sessionId);
    return [...(jobs?.values() ?? [])];
  }
}
