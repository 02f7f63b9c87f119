import { ConcurrencyLimit, FairQueue, FairQueueLimits } from './fair-queue';

interface Item {
  client: string;
  session: string;
  name: string;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A queue whose items run until `finish(name)` is called; `started` lists names in start order. */
function gatedQueue(limits: Partial<FairQueueLimits> = {}) {
  const started: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const errors: unknown[] = [];
  let active = 0;
  let peak = 0;
  const queue = new FairQueue<Item>(
    { concurrency: 1, maxQueued: 1000, maxPerSession: 1000, maxQueuedPerClient: 1000, ...limits },
    (item) => ({ client: item.client, session: item.session }),
    async (item) => {
      started.push(item.name);
      active++;
      peak = Math.max(peak, active);
      const gate = deferred();
      gates.set(item.name, gate);
      await gate.promise;
      active--;
      if (item.name.startsWith('boom')) throw new Error(item.name);
    },
    (e) => errors.push(e),
  );
  const push = (client: string, session: string, name: string) =>
    queue.push({ client, session, name });
  const finish = async (...names: string[]): Promise<void> => {
    for (const name of names) gates.get(name)!.resolve();
    await settle();
  };
  return { queue, started, errors, push, finish, peak: () => peak };
}

describe('FairQueue', () => {
  it("starts one session's items in order and never runs more than the concurrency", async () => {
    const q = gatedQueue({ concurrency: 2 });
    for (const n of ['1', '2', '3', '4', '5']) q.push('c', 's', n);
    expect(q.started).toEqual(['1', '2']);
    expect(q.queue.size).toBe(3);
    expect(q.queue.running).toBe(2);
    await q.finish('2');
    expect(q.started).toEqual(['1', '2', '3']);
    await q.finish('1', '3');
    expect(q.started).toEqual(['1', '2', '3', '4', '5']);
    await q.finish('4', '5');
    expect(q.peak()).toBe(2);
    expect(q.queue.running).toBe(0);
    expect(q.queue.size).toBe(0);
  });

  it('takes turns between sessions: a light session waits behind at most one heavy item', async () => {
    const q = gatedQueue();
    for (let i = 0; i < 50; i++) q.push('heavy', 'h', `h${i}`);
    q.push('light', 'l', 'l0');
    expect(q.started).toEqual(['h0']);
    await q.finish('h0');
    await q.finish('h1');
    expect(q.started).toEqual(['h0', 'h1', 'l0']);
    await q.finish('l0');
    expect(q.started.slice(-1)).toEqual(['h2']);
  });

  it('takes turns between clients before sessions: many sessions do not beat one', async () => {
    const q = gatedQueue();
    q.push('a', 'blocker', 'x');
    for (const s of ['a1', 'a2', 'a3']) for (let i = 0; i < 2; i++) q.push('a', s, `${s}.${i}`);
    for (let i = 0; i < 3; i++) q.push('b', 'b1', `b1.${i}`);
    for (let i = 0; i < 10; i++) await q.finish(q.started[q.started.length - 1]);
    // b gets every other turn; a's sessions share a's turns in rotation.
    expect(q.started).toEqual([
      'x',
      'a1.0',
      'b1.0',
      'a2.0',
      'b1.1',
      'a3.0',
      'b1.2',
      'a1.1',
      'a2.1',
      'a3.1',
    ]);
  });

  it('removes waiting items so they never start, and frees their places', async () => {
    const q = gatedQueue({ maxPerSession: 3 });
    q.push('c', 's', 'a');
    q.push('c', 's', 'x1');
    q.push('c', 's', 'x2');
    expect(q.push('c', 's', 'b')).toBe('session');
    expect(q.queue.remove((i) => i.name.startsWith('x')).map((i) => i.name)).toEqual(['x1', 'x2']);
    expect(q.queue.size).toBe(0);
    expect(q.queue.heldBy('s')).toBe(1);
    expect(q.push('c', 's', 'b')).toBeNull();
    await q.finish('a');
    await q.finish('b');
    expect(q.started).toEqual(['a', 'b']);
    expect(q.queue.heldBy('s')).toBe(0);
    expect(q.queue.waitingOf('c')).toBe(0);
  });

  it('refuses past each cap and names it; a finished item frees its place', async () => {
    const q = gatedQueue({ maxQueued: 4, maxPerSession: 2, maxQueuedPerClient: 2 });
    expect(q.push('c', 's1', 's1.0')).toBeNull(); // running
    expect(q.push('c', 's1', 's1.1')).toBeNull(); // waiting
    expect(q.push('c', 's1', 's1.2')).toBe('session');
    expect(q.push('c', 's2', 's2.0')).toBeNull();
    expect(q.push('c', 's3', 's3.0')).toBe('client');
    expect(q.push('d', 't1', 't1.0')).toBeNull();
    expect(q.push('e', 'u1', 'u1.0')).toBeNull();
    expect(q.queue.size).toBe(4);
    expect(q.push('f', 'v1', 'v1.0')).toBe('queue');
    expect(q.queue.limitFor({ client: 'f', session: 'v1' })).toBe('queue');
    await q.finish('s1.0');
    expect(q.started).toEqual(['s1.0', 's1.1']);
    expect(q.queue.heldBy('s1')).toBe(1);
    expect(q.push('c', 's1', 's1.2')).toBeNull();
    expect(q.queue.waitingOf('c')).toBe(2);
  });

  it("reports a worker's failure and goes on with the next item", async () => {
    const q = gatedQueue();
    q.push('c', 's', 'boom');
    q.push('c', 's', 'next');
    await q.finish('boom');
    expect(q.errors).toHaveLength(1);
    expect(q.started).toEqual(['boom', 'next']);
    expect(q.queue.heldBy('s')).toBe(1);
  });
});

describe('ConcurrencyLimit', () => {
  it('runs at most `concurrency` at once, first come first served, and passes results and errors', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const results = [1, 2, 3, 4].map((n) =>
      limit.run(async () => {
        started.push(n);
        const gate = deferred();
        gates.set(n, gate);
        await gate.promise;
        if (n === 3) throw new Error('three');
        return n * 10;
      }),
    );
    const outcomes = Promise.allSettled(results);
    await settle();
    expect(started).toEqual([1, 2]);
    gates.get(2)!.resolve();
    await settle();
    expect(started).toEqual([1, 2, 3]);
    gates.get(3)!.resolve();
    gates.get(1)!.resolve();
    await settle();
    gates.get(4)!.resolve();
    const settled = await outcomes;
    expect(
      settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    ).toEqual([10, 20, 'three', 40]);
  });
});
