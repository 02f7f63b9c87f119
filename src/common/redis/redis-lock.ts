import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

/** Deletes the key only when it still holds the caller's token (so a late release frees nothing). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A lease on one Redis key, so that one node at a time does a piece of work (the TTL
 * sweep): `SET key token NX PX ttl` takes it, a compare-and-delete gives it back. It is a
 * lease, not a mutex: it lapses after `ttlMs`, so work under it must end well within that.
 */
export class RedisLock {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** Takes the lease for `ttlMs` milliseconds; answers its token, or null when another holds it. */
  async acquire(ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
    return ok === 'OK' ? token : null;
  }

  /** Gives the lease back; true when it was still ours (false once it lapsed or another took it). */
  async release(token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.key, token)) === 1;
  }

  /**
   * Runs `work` while holding the lease, releasing it after; answers false (and runs
   * nothing) when another holder has it.
   */
  async runExclusive(ttlMs: number, work: () => Promise<void>): Promise<boolean> {
    const token = await this.acquire(ttlMs);
    if (!token) return false;
    try {
      await work();
    } finally {
      await this.release(token);
    }
    return true;
  }
}
