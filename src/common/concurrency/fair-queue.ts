/** Who an item belongs to: turns go round clients, then round that client's sessions. */
export interface QueueKey {
  client: string;
  session: string;
}

export interface FairQueueLimits {
  /** Items worked on at once. */
  concurrency: number;
  /** Waiting items of everyone together. */
  maxQueued: number;
  /** Waiting plus running items of one session. */
  maxPerSession: number;
  /** Waiting items of one client (all its sessions). */
  maxQueuedPerClient: number;
}

/** The cap a new item would pass: everyone's queue, its session's, or its client's. */
export type QueueLimit = 'queue' | 'session' | 'client';

/**
 * A fair queue with at most `concurrency` items being worked on. Each time a worker is
 * free, the next client in turn gets it, and within that client the next session in
 * turn; a session's own items start in the order they came. So a client with one item
 * waits behind at most one item of every other client, however many those have queued.
 * The worker handles its own failures; a rejection here goes to `onError`.
 */
export class FairQueue<T> {
  /** Clients with waiting items, in turn order; each holds its sessions in turn order. */
  private readonly turns = new Map<string, Map<string, T[]>>();
  private waiting = 0;
  private active = 0;
  private readonly waitingOfClient = new Map<string, number>();
  private readonly heldBySession = new Map<string, number>();

  constructor(
    private limits: FairQueueLimits,
    private readonly keyOf: (item: T) => QueueKey,
    private readonly worker: (item: T) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Changes how many items are worked on at once, starting waiting ones if it grew. */
  setConcurrency(concurrency: number): void {
    this.limits = { ...this.limits, concurrency };
    this.pump();
  }

  /** Items waiting to start. */
  get size(): number {
    return this.waiting;
  }

  /** Items being worked on. */
  get running(): number {
    return this.active;
  }

  /** Waiting plus running items of the session. */
  heldBy(session: string): number {
    return this.heldBySession.get(session) ?? 0;
  }

  /** Waiting items of the client. */
  waitingOf(client: string): number {
    return this.waitingOfClient.get(client) ?? 0;
  }

  /** The first cap an item with this key would pass (everyone's, session's, client's), or null. */
  limitFor(key: QueueKey): QueueLimit | null {
    if (this.waiting >= this.limits.maxQueued) return 'queue';
    if (this.heldBy(key.session) >= this.limits.maxPerSession) return 'session';
    if (this.waitingOf(key.client) >= this.limits.maxQueuedPerClient) return 'client';
    return null;
  }

  /** Queues the item and starts it when its turn comes; returns the cap it would pass instead. */
  push(item: T): QueueLimit | null {
    const key = this.keyOf(item);
    const limit = this.limitFor(key);
    if (limit) return limit;
    let sessions = this.turns.get(key.client);
    if (!sessions) this.turns.set(key.client, (sessions = new Map<string, T[]>()));
    let items = sessions.get(key.session);
    if (!items) sessions.set(key.session, (items = []));
    items.push(item);
    this.waiting++;
    add(this.waitingOfClient, key.client, 1);
    add(this.heldBySession, key.session, 1);
    this.pump();
    return null;
  }

  /** Takes out the waiting items that match, so they never start. */
  remove(match: (item: T) => boolean): T[] {
    const removed: T[] = [];
    for (const [client, sessions] of this.turns) {
      for (const [session, items] of sessions) {
        const kept: T[] = [];
        for (const item of items) (match(item) ? removed : kept).push(item);
        const gone = items.length - kept.length;
        if (gone === 0) continue;
        this.waiting -= gone;
        add(this.waitingOfClient, client, -gone);
        add(this.heldBySession, session, -gone);
        if (kept.length > 0) sessions.set(session, kept);
        else sessions.delete(session);
      }
      if (sessions.size === 0) this.turns.delete(client);
    }
    return removed;
  }

  /** The next item in turn; the client and session served go to the back of their rings. */
  private take(): { item: T; key: QueueKey } | undefined {
    const first = this.turns.entries().next();
    if (first.done) return undefined;
    const [client, sessions] = first.value;
    const [session, items] = sessions.entries().next().value as [string, T[]];
    const item = items.shift() as T;
    sessions.delete(session);
    if (items.length > 0) sessions.set(session, items);
    this.turns.delete(client);
    if (sessions.size > 0) this.turns.set(client, sessions);
    this.waiting--;
    add(this.waitingOfClient, client, -1);
    return { item, key: { client, session } };
  }

  private pump(): void {
    while (this.active < this.limits.concurrency) {
      const next = this.take();
      if (!next) return;
      this.active++;
      void this.worker(next.item)
        .catch(this.onError)
        .finally(() => {
          this.active--;
          add(this.heldBySession, next.key.session, -1);
          this.pump();
        });
    }
  }
}

/**
 * Runs `work` when one of `concurrency` places is free, first come first served: the
 * FairQueue with one key and no caps (for work that needs no turns by client).
 */
export class ConcurrencyLimit {
  private readonly queue: FairQueue<() => Promise<void>>;

  constructor(concurrency: number) {
    const unbounded = Number.POSITIVE_INFINITY;
    this.queue = new FairQueue<() => Promise<void>>(
      {
        concurrency,
        maxQueued: unbounded,
        maxPerSession: unbounded,
        maxQueuedPerClient: unbounded,
      },
      () => ONE_KEY,
      (task) => task(),
      () => undefined,
    );
  }

  /** What `work` answers, once it has had its place. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => work().then(resolve, reject));
    });
  }
}

const ONE_KEY: QueueKey = { client: '', session: '' };

/** Adds to a count kept in a map; a count that reaches zero leaves the map. */
function add(counts: Map<string, number>, key: string, delta: number): void {
  const value = (counts.get(key) ?? 0) + delta;
  if (value > 0) counts.set(key, value);
  else counts.delete(key);
}
