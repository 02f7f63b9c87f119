import type Redis from 'ioredis';
import { nullPrototype } from '../common/redis/null-prototype';
import { Session } from './session';
import { SessionStore } from './session-store';

export interface RedisSessionStoreOptions {
  /** Prefix of every key (default `acb:`). */
  prefix?: string;
  /**
   * How long a session's key outlives its expiresAt (ms, default one hour), so that a
   * cluster nobody sweeps any more cleans itself while the sweep still finds expired ones.
   */
  graceMs?: number;
}

/**
 * Sessions in Redis: each a JSON string at `<prefix>session:<id>` that expires `graceMs`
 * after the session does, and a sorted set `<prefix>sessions` (score createdAt) for
 * `list()`. Entries whose key already expired are dropped from the set when listed.
 */
export class RedisSessionStore extends SessionStore {
  private readonly prefix: string;
  private readonly graceMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisSessionStoreOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.prefix = options.prefix ?? 'acb:';
    this.graceMs = options.graceMs ?? 3_600_000;
  }

  private key(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  private get index(): string {
    return `${this.prefix}sessions`;
  }

  async save(session: Session): Promise<void> {
    // A session saved already expired (a reload) is still kept a grace period.
    const expireAt = Math.max(session.expiresAt, this.now()) + this.graceMs;
    await this.redis
      .multi()
      .set(this.key(session.id), JSON.stringify(session), 'PXAT', expireAt)
      .zadd(this.index, session.createdAt, session.id)
      .exec();
  }

  async get(id: string): Promise<Session | undefined> {
    const text = await this.redis.get(this.key(id));
    return text === null ? undefined : parseSession(text);
  }

  async delete(id: string): Promise<boolean> {
    const results = await this.redis.multi().del(this.key(id)).zrem(this.index, id).exec();
    return results?.[0]?.[1] === 1;
  }

  async list(): Promise<Session[]> {
    const ids = await this.redis.zrange(this.index, 0, -1);
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => this.key(id)));
    const gone = ids.filter((_, i) => texts[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.index, ...gone);
    return texts.filter((t): t is string => t !== null).map(parseSession);
  }
}

function parseSession(text: string): Session {
  const session = JSON.parse(text) as Session;
  const renamed = session.dataset.renamedColumns;
  if (renamed) session.dataset.renamedColumns = nullPrototype(renamed);
  return session;
}
