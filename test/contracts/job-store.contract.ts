import { newJob } from '../../src/execution/jobs/job';
import { JobStore } from '../../src/execution/jobs/job-store';

/**
 * What every JobStore adapter must do. Call from an adapter's spec with a factory that
 * answers a fresh, empty store (and, optionally, a cleanup).
 */
export function jobStoreContract(
  name: string,
  factory: () => Promise<{ store: JobStore; close?: () => Promise<void> }>,
): void {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    let close: (() => Promise<void>) | undefined;
    beforeEach(async () => ({ store, close } = await factory()));
    afterEach(async () => close?.());

    it('gives back a created job by session and id, and nothing for another session', async () => {
      await store.create(newJob('j1', 's1', 1_000));
      expect(await store.get('s1', 'j1')).toEqual(newJob('j1', 's1', 1_000));
      expect(await store.get('s2', 'j1')).toBeUndefined();
      expect(await store.get('s1', 'j2')).toBeUndefined();
    });

    it('keeps records as plain data that survive a JSON round trip', async () => {
      const job = {
        ...newJob('j1', 's1', 1_000),
        previewRows: [Object.assign(Object.create(null) as object, { a: 1, b: 'x', c: null })],
      };
      await store.create(job);
      await store.update('s1', 'j1', { status: 'success', finishedAt: 2_000, warnings: ['w'] });
      const stored = await store.get('s1', 'j1');
      expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
      expect(stored).toMatchObject({ status: 'success', finishedAt: 2_000, warnings: ['w'] });
    });

    it('keeps preview rows as null-prototype objects whose keys (`__proto__` too) round-trip', async () => {
      const row = Object.create(null) as Record<string, number | string>;
      Object.defineProperty(row, '__proto__', { value: 1, enumerable: true });
      Object.defineProperty(row, 'constructor', { value: 'x', enumerable: true });
      await store.create(newJob('j1', 's1', 1_000));
      await store.update('s1', 'j1', { previewRows: [row] });
      for (const stored of [await store.get('s1', 'j1'), (await store.list('s1'))[0]]) {
        const [first] = stored?.previewRows ?? [];
        expect(Object.getPrototypeOf(first)).toBeNull();
        expect(Object.entries(first)).toEqual([
          ['__proto__', 1],
          ['constructor', 'x'],
        ]);
      }
    });

    it('applies updates, answers the new state, and leaves records read earlier as they were', async () => {
      await store.create(newJob('j1', 's1', 1_000));
      const before = await store.get('s1', 'j1');
      const after = await store.update('s1', 'j1', { status: 'running', startedAt: 1_500 });
      expect(after).toMatchObject({ id: 'j1', status: 'running', startedAt: 1_500 });
      expect(before?.status).toBe('queued');
      expect((await store.get('s1', 'j1'))?.status).toBe('running');
      expect(await store.update('s1', 'nope', { status: 'error' })).toBeUndefined();
    });

    it('does not let a caller change a stored job by changing the object it created it from', async () => {
      const job = newJob('j1', 's1', 1_000);
      await store.create(job);
      job.status = 'error';
      expect((await store.get('s1', 'j1'))?.status).toBe('queued');
    });

    it('deletes one job, once', async () => {
      await store.create(newJob('a', 's1', 1));
      await store.create(newJob('b', 's1', 2));
      expect(await store.delete('s1', 'a')).toBe(true);
      expect(await store.delete('s1', 'a')).toBe(false);
      expect(await store.delete('s2', 'b')).toBe(false);
      expect((await store.list('s1')).map((j) => j.id)).toEqual(['b']);
    });

    it("lists a session's jobs oldest first", async () => {
      for (const [id, at] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ] as const)
        await store.create(newJob(id, 's1', at));
      await store.create(newJob('x', 's2', 4));
      expect((await store.list('s1')).map((j) => j.id)).toEqual(['a', 'b', 'c']);
      expect(await store.list('none')).toEqual([]);
    });

    it("forgets a session's jobs and answers them, leaving other sessions alone", async () => {
      await store.create(newJob('a', 's1', 1));
      await store.update('s1', 'a', { outputTable: 'job_a' });
      await store.create(newJob('x', 's2', 2));
      const gone = await store.deleteSession('s1');
      expect(gone.map((j) => [j.id, j.outputTable])).toEqual([['a', 'job_a']]);
      expect(await store.list('s1')).toEqual([]);
      expect(await store.get('s1', 'a')).toBeUndefined();
      expect(await store.get('s2', 'x')).toBeDefined();
      expect(await store.deleteSession('s1')).toEqual([]);
    });
  });
}
