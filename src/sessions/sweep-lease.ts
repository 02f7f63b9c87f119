/**
 * Makes the expiry sweep run on one process at a time (port): in process it always runs;
 * distributed, a Redis lease (src/common/redis/redis-lock.ts) picks one node per round.
 */
export abstract class SweepLease {
  /** Runs `work` unless another process holds the lease (then answers false). */
  abstract runExclusive(ttlMs: number, work: () => Promise<void>): Promise<boolean>;
}

/** The embedded shape: this process is the only one. */
export class LocalSweepLease extends SweepLease {
  async runExclusive(_ttlMs: number, work: () => Promise<void>): Promise<boolean> {
    await work();
    return true;
  }
}
