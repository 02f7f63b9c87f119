import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeProcessScopedDir } from '../src/common/process-scoped-dir';
import { SPILL_DIR_PREFIX } from '../src/duckdb/duckdb.service';
import { WORKSPACE_DIR_PREFIX } from '../src/sandbox/sandbox-workspace';
import {
  ServerProcess,
  SharedDirs,
  sharedDirs,
  startServerProcess,
} from './support/server-process';

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string) {
  const until = Date.now() + 90_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('start-up sweep after kill -9 (real server processes)', () => {
  let dirs: SharedDirs;
  const cleanup: (() => void)[] = [];
  /** The real server on `dirs`, restarted on the same folders and port. */
  const startServer = (port?: number): Promise<ServerProcess> =>
    startServerProcess({
      dirs,
      port,
      env: { SANDBOX_POOL_SIZE: '1', SANDBOX_MAX_CONCURRENCY: '1' },
    });

  beforeAll(() => {
    dirs = sharedDirs();
  });

  afterAll(() => {
    for (const undo of cleanup.reverse()) undo();
    dirs.remove();
  });

  it('removes orphan session folders, uploads under way, spill, export and workspace folders; keeps live sessions', async () => {
    const first = await startServer();
    cleanup.push(() => first.child.kill('SIGKILL'));
    const base = first.api;
    const ownWorkspace = (pid: number) =>
      [tmpdir(), dirs.temp].flatMap((dir) =>
        list(dir)
          .filter((n) => n.startsWith(`${WORKSPACE_DIR_PREFIX}p${pid}s`))
          .map((n) => join(dir, n)),
      );

    // A session with a job done, so its folder holds the upload and the cached input.
    const form = new FormData();
    form.append('file', new Blob(['text\n' + 'x'.repeat(100) + '\n']), 'data.csv');
    const upload = (await (
      await fetch(`${base}/upload`, { method: 'POST', body: form })
    ).json()) as {
      session_id: string;
    };
    const session = upload.session_id;
    const code =
      'import pandas as pd\n\ndef transform(df):\n    return pd.concat([df] * 90000, ignore_index=True)\n';
    const { job_id: job } = (await (
      await fetch(`${base}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: session, code }),
      })
    ).json()) as { job_id: string };
    await eventually(async () => {
      const r = (await (await fetch(`${base}/execute/${session}/${job}`)).json()) as {
        status: string;
        error_message: string | null;
      };
      if (r.status === 'error') throw new Error(`the job failed: ${r.error_message}`);
      return r.status === 'success' ? true : undefined;
    }, 'the job succeeds');

    // A download whose client reads nothing, and an upload that stops half way.
    const download = new Socket();
    download.connect(first.port, '127.0.0.1');
    download.pause();
    download.write(`GET /api/v1/execute/${session}/${job}/output HTTP/1.1\r\nHost: x\r\n\r\n`);
    cleanup.push(() => download.destroy());
    const boundary = 'b0undary';
    const partial = new Socket();
    partial.connect(first.port, '127.0.0.1');
    partial.write(
      `POST /api/v1/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: 1000000\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.csv"\r\n` +
        `Content-Type: text/csv\r\n\r\na,b\n${'1,2\n'.repeat(1000)}`,
    );
    cleanup.push(() => partial.destroy());

    const incoming = join(dirs.inbound, '.incoming');
    const exportsDir = join(dirs.temp, 'exports');
    await eventually(() => (list(incoming).length > 0 ? true : undefined), 'the upload lands');
    await eventually(
      () => (list(exportsDir).length > 0 ? true : undefined),
      'the export is written',
    );
    const spill = list(dirs.temp).filter((n) => n.startsWith(SPILL_DIR_PREFIX));
    const workspaces = ownWorkspace(first.pid);
    expect(spill).toHaveLength(1);
    expect(workspaces).toHaveLength(1);
    expect(list(join(dirs.inbound, session)).length).toBeGreaterThan(0);

    // An orphan: a session folder no stored session owns (its record never written).
    const orphan = join(dirs.inbound, '5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b');
    mkdirSync(orphan);
    writeFileSync(join(orphan, 'upload.csv'), 'a\n1\n');
    // What must stay: another live process's workspace, and INBOUND_DIR's other folders.
    const livePeer = makeProcessScopedDir(tmpdir(), WORKSPACE_DIR_PREFIX);
    cleanup.push(() => rmSync(livePeer, { recursive: true, force: true }));
    mkdirSync(join(dirs.inbound, 'recipes'));

    await first.stop('SIGKILL');
    download.destroy();
    partial.destroy();
    // Nothing cleaned up behind the killed server.
    expect(list(join(dirs.inbound, session)).length).toBeGreaterThan(0);
    expect(list(incoming).length).toBeGreaterThan(0);
    expect(list(exportsDir).length).toBeGreaterThan(0);
    expect(existsSync(join(dirs.temp, spill[0]))).toBe(true);
    expect(existsSync(workspaces[0])).toBe(true);

    const second = await startServer(first.port);
    cleanup.push(() => second.child.kill('SIGKILL'));
    // The session outlives the server (its record and rows are files in its folder).
    expect(existsSync(join(dirs.inbound, session))).toBe(true);
    expect(existsSync(orphan)).toBe(false);
    expect(list(incoming)).toEqual([]);
    expect(list(exportsDir)).toEqual([]);
    expect(existsSync(join(dirs.temp, spill[0]))).toBe(false);
    expect(list(dirs.temp).filter((n) => n.startsWith(SPILL_DIR_PREFIX))).toHaveLength(1);
    expect(existsSync(workspaces[0])).toBe(false);
    expect(existsSync(livePeer)).toBe(true);
    expect(existsSync(join(dirs.inbound, 'recipes'))).toBe(true);
    expect((await fetch(`${base}/sessions/${session}`)).status).toBe(200);
    expect((await fetch(`${base}/execute/${session}/${job}`)).status).toBe(200);

    await second.stop();
  });
});
