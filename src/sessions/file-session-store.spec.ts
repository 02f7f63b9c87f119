import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionStoreContract } from '../../test/contracts/session-store.contract';
import { FileSessionStore, SESSION_FILE } from './file-session-store';
import { Session } from './session';

const roots: string[] = [];
function newRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'file-session-store-'));
  roots.push(root);
  return root;
}
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

sessionStoreContract('file', async () => {
  const root = newRoot();
  return {
    store: new FileSessionStore(root),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

const ID = '0b6f5f1e-3c2a-4d7e-9f10-1234567890ab';
const OTHER = '1c7a6a2f-4d3b-4e8f-8a21-abcdefabcdef';

function session(root: string, id: string, createdAt: number): Session {
  const renamedColumns = Object.create(null) as Record<string, string>;
  renamedColumns['__proto__'] = '__proto__.1';
  renamedColumns[''] = 'Unnamed: 1';
  return {
    id,
    dataset: {
      filename: 'data.csv',
      fileSizeBytes: 12,
      rowCount: 2,
      columns: ['__proto__', 'Unnamed: 1'],
      dtypes: ['int64', 'object'],
      renamedColumns,
      warnings: [],
      cachedTableBytes: 40,
    },
    table: `session_${id.replace(/-/g, '')}`,
    dir: join(root, id),
    createdAt,
    expiresAt: createdAt + 60_000,
    owner: 'client-1',
  };
}

describe('FileSessionStore', () => {
  it('writes each session to <dir>/session.json (mode 0600) and a new store loads them, oldest first', async () => {
    const root = newRoot();
    const first = new FileSessionStore(root);
    await first.save(session(root, OTHER, 2_000));
    await first.save(session(root, ID, 1_000));
    const file = join(root, ID, SESSION_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ id: ID, owner: 'client-1' });

    const second = new FileSessionStore(root);
    await second.onModuleInit();
    expect((await second.list()).map((s) => s.id)).toEqual([ID, OTHER]);
    expect(await second.get(ID)).toEqual(session(root, ID, 1_000));
  });

  it('gives renamed columns back as null-prototype objects, `__proto__` an own key', async () => {
    const root = newRoot();
    await new FileSessionStore(root).save(session(root, ID, 1_000));
    for (const store of [new FileSessionStore(root)]) {
      const renamed = (await store.get(ID))?.dataset.renamedColumns as Record<string, string>;
      expect(Object.getPrototypeOf(renamed)).toBeNull();
      expect(Object.entries(renamed)).toEqual([
        ['__proto__', '__proto__.1'],
        ['', 'Unnamed: 1'],
      ]);
    }
  });

  it('forgets a deleted session on disk too', async () => {
    const root = newRoot();
    const store = new FileSessionStore(root);
    await store.save(session(root, ID, 1_000));
    expect(await store.delete(ID)).toBe(true);
    expect(await new FileSessionStore(root).get(ID)).toBeUndefined();
  });

  it('skips a record that cannot be parsed, or is not a session, with a log line', async () => {
    const root = newRoot();
    await new FileSessionStore(root).save(session(root, ID, 1_000));
    mkdirSync(join(root, OTHER));
    writeFileSync(join(root, OTHER, SESSION_FILE), '{"id": "1c7a6a2f-4d3b-4e8f-8a21-abc');
    const third = '2d8b7b3a-5e4c-4f90-9b32-000000000003';
    mkdirSync(join(root, third));
    writeFileSync(join(root, third, SESSION_FILE), JSON.stringify({ id: third }));
    mkdirSync(join(root, '.incoming'));
    const warnings: Record<string, unknown>[] = [];
    const store = new FileSessionStore(root, (fields) => warnings.push(fields));
    expect((await store.list()).map((s) => s.id)).toEqual([ID]);
    expect(warnings.map((w) => w.file).sort()).toEqual(
      [join(root, OTHER, SESSION_FILE), join(root, third, SESSION_FILE)].sort(),
    );
  });

  it('starts empty when INBOUND_DIR does not exist yet', async () => {
    const store = new FileSessionStore(join(newRoot(), 'missing'));
    expect(await store.list()).toEqual([]);
  });
});
