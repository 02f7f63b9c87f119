import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobStoreContract } from '../../../test/contracts/job-store.contract';
import { FileJobStore, JOBS_DIR, RESTART_CUT_JOB } from './file-job-store';
import { JobRecord, newJob } from './job';

const roots: string[] = [];
function newRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'file-job-store-'));
  roots.push(root);
  return root;
}
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

jobStoreContract('file', async () => {
  const root = newRoot();
  return {
    store: new FileJobStore(root),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

const S1 = '0b6f5f1e-3c2a-4d7e-9f10-1234567890ab';
const S2 = '1c7a6a2f-4d3b-4e8f-8a21-abcdefabcdef';

function done(id: string, sessionId: string, createdAt: number): JobRecord {
  const row = Object.create(null) as Record<string, string | number>;
  row['__proto__'] = 1;
  row.b = 'x';
  return {
    ...newJob(id, sessionId, createdAt),
    status: 'success',
    startedAt: createdAt + 1,
    finishedAt: createdAt + 2,
    executionTimeMs: 1,
    outputRowCount: 1,
    outputColumns: ['__proto__', 'b'],
    outputSchema: [
      { name: '__proto__', dtype: 'int64', stored: 'int' },
      { name: 'b', dtype: 'object', stored: 'text' },
    ],
    previewRows: [row],
    outputTable: 'job_0123',
  };
}

describe('FileJobStore', () => {
  it('writes each job to <session>/jobs/<job>.json (mode 0600) and a new store loads them, oldest first', async () => {
    const root = newRoot();
    const first = new FileJobStore(root);
    await first.create(done('j2', S1, 2_000));
    await first.create(done('j1', S1, 1_000));
    await first.create(done('j3', S2, 3_000));
    await first.update(S1, 'j1', { warnings: ['w'] });
    const file = join(root, S1, JOBS_DIR, 'j1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = new FileJobStore(root);
    await second.onModuleInit();
    expect((await second.list(S1)).map((j) => j.id)).toEqual(['j1', 'j2']);
    expect(await second.get(S1, 'j1')).toEqual({ ...done('j1', S1, 1_000), warnings: ['w'] });
    expect(await second.get(S2, 'j3')).toEqual(done('j3', S2, 3_000));
  });

  it('gives preview rows back as null-prototype objects, `__proto__` an own key', async () => {
    const root = newRoot();
    await new FileJobStore(root).create(done('j1', S1, 1_000));
    const [row] = (await new FileJobStore(root).get(S1, 'j1'))?.previewRows ?? [];
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect(Object.entries(row)).toEqual([
      ['__proto__', 1],
      ['b', 'x'],
    ]);
  });

  it('records jobs found queued or running as cut short by the restart, on disk too', async () => {
    const root = newRoot();
    const first = new FileJobStore(root);
    await first.create(newJob('queued', S1, 1_000));
    await first.create(newJob('running', S1, 2_000));
    await first.update(S1, 'running', { status: 'running', startedAt: 2_500 });
    await first.create(done('done', S1, 3_000));

    const second = new FileJobStore(root, undefined, () => 9_000);
    const jobs = await second.list(S1);
    expect(jobs.map((j) => [j.id, j.status, j.errorMessage])).toEqual([
      ['queued', 'error', RESTART_CUT_JOB],
      ['running', 'error', RESTART_CUT_JOB],
      ['done', 'success', null],
    ]);
    expect(jobs[1].finishedAt).toBe(9_000);
    const onDisk = JSON.parse(readFileSync(join(root, S1, JOBS_DIR, 'running.json'), 'utf8'));
    expect(onDisk).toMatchObject({ status: 'error', errorMessage: RESTART_CUT_JOB });
  });

  it('skips a file that cannot be parsed, or is not a job, with a log line', async () => {
    const root = newRoot();
    await new FileJobStore(root).create(done('j1', S1, 1_000));
    writeFileSync(join(root, S1, JOBS_DIR, 'j2.json'), '{"id": "j2", "sess');
    writeFileSync(join(root, S1, JOBS_DIR, 'j3.json'), JSON.stringify({ id: 'j3' }));
    const warnings: Record<string, unknown>[] = [];
    const store = new FileJobStore(root, (fields) => warnings.push(fields));
    expect((await store.list(S1)).map((j) => j.id)).toEqual(['j1']);
    expect(warnings).toHaveLength(2);
  });

  it('removes a session’s job files with its jobs, and writes under way do not bring them back', async () => {
    const root = newRoot();
    const store = new FileJobStore(root);
    await store.create(done('j1', S1, 1_000));
    const update = store.update(S1, 'j1', { warnings: ['late'] });
    const removed = await store.deleteSession(S1);
    await update;
    expect(removed.map((j) => j.id)).toEqual(['j1']);
    expect(readdirSync(join(root, S1))).toEqual([]);
    expect(await new FileJobStore(root).list(S1)).toEqual([]);
  });
});
