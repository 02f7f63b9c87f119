import { JobQueue } from './job-queue';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('JobQueue', () => {
  it('starts items in FIFO order and never runs more than the concurrency', async () => {
    const started: number[] = [];
    const gates = new Map<number, ReturnType<typeof deferred>>();
    let active = 0;
    let peak = 0;
    const queue = new JobQueue<number>(
      2,
      async (n) => {
        started.push(n);
        active++;
        peak = Math.max(peak, active);
        const gate = deferred();
        gates.set(n, gate);
        await gate.promise;
        active--;
      },
      () => undefined,
    );
    for (const n of [1, 2, 3, 4, 5]) queue.push(n);
    expect(started).toEqual([1, 2]);
    expect(queue.size).toBe(3);
    gates.get(2)!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2, 3]);
    for (const n of [1, 3]) gates.get(n)!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2, 3, 4, 5]);
    for (const n of [4, 5]) gates.get(n)!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(peak).toBe(2);
    expect(queue.running).toBe(0);
  });

  it('removes waiting items so they never start, and reports worker failures', async () => {
    const started: string[] = [];
    const errors: unknown[] = [];
    const gate = deferred();
    const queue = new JobQueue<string>(
      1,
      async (item) => {
        started.push(item);
        if (item === 'boom') throw new Error('boom');
        await gate.promise;
      },
      (e) => errors.push(e),
    );
    ['a', 'x1', 'b', 'x2', 'boom'].forEach((i) => queue.push(i));
    expect(queue.remove((i) => i.startsWith('x'))).toEqual(['x1', 'x2']);
    gate.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['a', 'b', 'boom']);
    expect(errors).toHaveLength(1);
  });
});
