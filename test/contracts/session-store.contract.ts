import { Session } from '../../src/sessions/session';
import { SessionStore } from '../../src/sessions/session-store';

function session(id: string, createdAt: number): Session {
  return {
    id,
    dataset: {
      filename: 'data.csv',
      fileSizeBytes: 12,
      rowCount: 2,
      columns: ['a', 'b'],
      dtypes: ['int64', 'object'],
      warnings: ['read as UTF-8'],
    },
    table: `session_${id}`,
    dir: `/tmp/inbound/${id}`,
    createdAt,
    expiresAt: createdAt + 60_000,
    owner: 'client-1',
  };
}

/** What every SessionStore adapter must do; `factory` answers a fresh, empty store. */
export function sessionStoreContract(
  name: string,
  factory: () => Promise<{ store: SessionStore; close?: () => Promise<void> }>,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    let close: (() => Promise<void>) | undefined;
    beforeEach(async () => ({ store, close } = await factory()));
    afterEach(async () => close?.());

    it('gives back a saved session as plain data that survives a JSON round trip', async () => {
      await store.save(session('s1', 1_000));
      const stored = await store.get('s1');
      expect(stored).toEqual(session('s1', 1_000));
      expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
      expect(await store.get('s2')).toBeUndefined();
    });

    it('keeps renamedColumns as a null-prototype map whose keys (`__proto__` too) round-trip', async () => {
      const renamed = Object.create(null) as Record<string, string>;
      Object.defineProperty(renamed, '__proto__', { value: 'proto_', enumerable: true });
      renamed['a b'] = 'a_b';
      const s = session('s1', 1_000);
      s.dataset = { ...s.dataset, renamedColumns: renamed };
      await store.save(s);
      const stored = (await store.get('s1'))?.dataset.renamedColumns;
      expect(Object.getPrototypeOf(stored)).toBeNull();
      expect(Object.entries(stored ?? {})).toEqual([
        ['__proto__', 'proto_'],
        ['a b', 'a_b'],
      ]);
      const listed = (await store.list())[0].dataset.renamedColumns;
      expect(Object.getPrototypeOf(listed)).toBeNull();
      expect(Object.keys(listed ?? {})).toEqual(['__proto__', 'a b']);
    });

    it('is not changed by changing the object it was saved from', async () => {
      const s = session('s1', 1_000);
      await store.save(s);
      s.expiresAt = 0;
      expect((await store.get('s1'))?.expiresAt).toBe(61_000);
    });

    it('lists sessions oldest first, expired ones included', async () => {
      await store.save(session('a', 1));
      await store.save({ ...session('b', 2), expiresAt: 3 });
      await store.save(session('c', 3));
      expect((await store.list()).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    });

    it('deletes once: only the first delete finds the session', async () => {
      await store.save(session('s1', 1));
      await store.save(session('s2', 2));
      const answers = await Promise.all([store.delete('s1'), store.delete('s1')]);
      expect(answers.sort()).toEqual([false, true]);
      expect(await store.get('s1')).toBeUndefined();
      expect((await store.list()).map((s) => s.id)).toEqual(['s2']);
      expect(await store.delete('never')).toBe(false);
    });
  });
}
