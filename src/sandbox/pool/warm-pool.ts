/** What a WarmPool needs to know of the processes it keeps. */
export interface WarmPoolOptions<T> {
  /** How many to keep started ahead. */
  size: number;
  /** Starts one (its start-up runs in the background). */
  start: () => T;
  /** False once it exited or was stopped: it is skipped when taken. */
  usable: (item: T) => boolean;
  /** False while nothing may be started (shutting down, sandbox refused, backing off). */
  mayStart: () => boolean;
}

/**
 * Processes started ahead, each for one request: the idle list and its refill, shared
 * by the job pool (SandboxPool) and the static checker.
 */
export class WarmPool<T> {
  private readonly idle: T[] = [];

  constructor(private readonly options: WarmPoolOptions<T>) {}

  /** The oldest usable idle one, if any (those no longer usable are dropped). */
  take(): T | undefined {
    let item: T | undefined;
    while ((item = this.idle.shift()) !== undefined && !this.options.usable(item)) item = undefined;
    return item;
  }

  /** Starts processes until `size` are idle, unless `mayStart` says no. */
  refill(): void {
    if (!this.options.mayStart()) return;
    while (this.idle.length < this.options.size) this.idle.push(this.options.start());
  }

  /** Forgets `item` (it exited); true when it was still idle, i.e. it died unused. */
  remove(item: T): boolean {
    const at = this.idle.indexOf(item);
    if (at >= 0) this.idle.splice(at, 1);
    return at >= 0;
  }

  /** Empties the pool and returns what it held (at shutdown). */
  drain(): T[] {
    return this.idle.splice(0);
  }

  get size(): number {
    return this.idle.length;
  }

  /** The idle ones, oldest first (for counting). */
  get items(): readonly T[] {
    return this.idle;
  }
}
