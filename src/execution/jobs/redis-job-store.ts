import type Redis from 'ioredis';
import { nullPrototype } from '../../common/redis/null-prototype';
import { JobRecord } from './job';
import { JobStore, JobUpdate } from './job-store';

export interface RedisJobStoreOptions {
  /** Prefix of every key (default `acb:`). */
  prefix?: string;
  /**
   * How long a job's keys live after its last write (ms): set it a little past the
   * longest a session lives (SESSION_TTL_SECONDS), so an abandoned cluster cleans itself.
   */
  ttlMs: number;
}

/** Sets the given fields only when the job exists, refreshes the TTLs, answers the whole job. */
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])`;

/** Takes every job of a session (index KEYS[1], job keys ARGV[1] .. id): answers and deletes them. */
const DELETE_SESSION = `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local jobs = {}
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  local fields = redis.call('HGETALL', key)
  if #fields > 0 then table.insert(jobs, fields) end
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
return jobs`;

/**
 * Job records in Redis: each a hash at `<prefix>job:<session>:<id>` with one JSON value per
 * field (so `update` sets only the fields it names, atomically, and two nodes updating
 * one job lose none of each other's fields), and a sorted set `<prefix>jobs:<session>`
 * (score createdAt) for `list()`. Keys expire `ttlMs` after the job's last write. The
 * scripts touch keys they compute, so this expects one Redis, not a Redis Cluster.
 */
export class RedisJobStore extends JobStore {
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisJobStoreOptions,
  ) {
    super();
    this.prefix = options.prefix ?? 'acb:';
    this.ttlMs = options.ttlMs;
  }

  private jobPrefix(sessionId: string): string {
    return `${this.prefix}job:${sessionId}:`;
  }

  private key(sessionId: string, jobId: string): string {
    return this.jobPrefix(sessionId) + jobId;
  }

  private index(sessionId: string): string {
    return `${this.prefix}jobs:${sessionId}`;
  }

  async create(job: JobRecord): Promise<void> {
    const key = this.key(job.sessionId, job.id);
    const index = this.index(job.sessionId);
    await this.redis
      .multi()
      .del(key)
      .hset(key, toFields(job))
      .pexpire(key, this.ttlMs)
      .zadd(index, job.createdAt, job.id)
      .pexpire(index, this.ttlMs)
      .exec();
  }

  async get(sessionId: string, jobId: string): Promise<JobRecord | undefined> {
    return fromFields(await this.redis.hgetall(this.key(sessionId, jobId)));
  }

  async update(
    sessionId: string,
    jobId: string,
    update: JobUpdate,
  ): Promise<JobRecord | undefined> {
    const fields = Object.entries(toFields(update)).flat();
    if (fields.length === 0) return this.get(sessionId, jobId);
    const answer = (await this.redis.eval(
      UPDATE,
      2,
      this.key(sessionId, jobId),
      this.index(sessionId),
      String(this.ttlMs),
      ...fields,
    )) as string[] | null;
    return answer ? fromFields(pairs(answer)) : undefined;
  }

  async delete(sessionId: string, jobId: string): Promise<boolean> {
    const results = await this.redis
      .multi()
      .del(this.key(sessionId, jobId))
      .zrem(this.index(sessionId), jobId)
      .exec();
    return results?.[0]?.[1] === 1;
  }

  async list(sessionId: string): Promise<JobRecord[]> {
    const ids = await this.redis.zrange(this.index(sessionId), 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(sessionId, id));
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([error, fields]) => {
        if (error) throw error;
        return fromFields(fields as Record<string, string>);
      })
      .filter((job): job is JobRecord => job !== undefined);
  }

  async deleteSession(sessionId: string): Promise<JobRecord[]> {
    const jobs = (await this.redis.eval(
      DELETE_SESSION,
      1,
      this.index(sessionId),
      this.jobPrefix(sessionId),
    )) as string[][];
    return jobs
      .map((flat) => fromFields(pairs(flat)))
      .filter((job): job is JobRecord => job !== undefined);
  }
}

function toFields(values: object): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) fields[name] = JSON.stringify(value);
  return fields;
}

function pairs(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

function fromFields(fields: Record<string, string>): JobRecord | undefined {
  const names = Object.keys(fields);
  if (names.length === 0) return undefined;
  const job: Record<string, unknown> = {};
  for (const name of names) job[name] = JSON.parse(fields[name]);
  const record = job as unknown as JobRecord;
  record.previewRows = record.previewRows.map((row) => nullPrototype(row));
  return record;
}
