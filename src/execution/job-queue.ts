/**
 * First in, first out, with at most `concurrency` items being worked on. The worker
 * handles its own failures; a rejection here is logged by the caller's `onError`.
 */
export class JobQueue<T> {
  private readonly waiting: T[] = [];
  private active = 0;

  constructor(
    private readonly concurrency: number,
    private readonly worker: (item: T) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.active;
  }

  push(item: T): void {
    this.waiting.push(item);
    this.pump();
  }

  /** Takes out the waiting items that match, in order, so they never start. */
  remove(match: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (match(this.waiting[i])) removed.unshift(...this.waiting.splice(i, 1));
    }
    return removed;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const item = this.waiting.shift() as T;
      this.active++;
      void this.worker(item)
        .catch(this.onError)
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }
}
