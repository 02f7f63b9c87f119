import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CodeChecker } from '../src/sandbox';
import { LAUNCHER_STOPPED_MESSAGE, SandboxLauncher } from '../src/sandbox/drivers/sandbox-launcher';
import { SandboxPool } from '../src/sandbox/pool/sandbox-pool';
import { SandboxWorkspace } from '../src/sandbox/sandbox-workspace';
import { run, submit, waitForJob } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const GROUP_BY =
  'def transform(df):\n    return df.groupby("region", as_index=False)["amount"].sum()\n';
/** Reaches `os` the way an escape would, past the import allowlist (the checker is bypassed). */
const PRELUDE = 'import pandas as pd\nos = pd.compat.os\n\ndef transform(df):\n';
const permissiveChecker: CodeChecker = { check: async (): Promise<string[]> => [] };

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Sandbox launcher (the process that starts sandboxes for the API)', () => {
  let t: TestApp;
  let session: string;

  beforeAll(async () => {
    t = await startTestApp({ SANDBOX_POOL_SIZE: '1', SANDBOX_TIMEOUT_SECONDS: '30' }, (b) =>
      b.overrideProvider(CodeChecker).useValue(permissiveChecker),
    );
    session = await uploadCsv(t, 'region,amount\nnorth,1\nsouth,2\nnorth,3\n');
  });
  afterAll(async () => t.close());

  it('runs jobs through the launcher, not as children of the API', async () => {
    const job = await run(t, session, GROUP_BY);
    expect(job.preview_rows).toEqual([
      { region: 'north', amount: 4 },
      { region: 'south', amount: 2 },
    ]);
    const launcher = t.app.get(SandboxLauncher).launcherPid;
    expect(launcher).toEqual(expect.any(Number));
    await until(() => t.app.get(SandboxPool).idleCount === 1);
    for (const pid of t.app.get(SandboxPool).pids()) {
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      expect(Number(ppid)).toBe(launcher);
    }
  });

  it('a job cannot see the launcher socket', async () => {
    const base = t.app.get(SandboxWorkspace).baseDir;
    const dir = readdirSync(base).find((n) => n.startsWith('launch-'));
    expect(dir).toBeDefined();
    const socketPath = join(base, dir!, 's');
    const job = await run(
      t,
      session,
      `${PRELUDE}    return pd.DataFrame({"seen": [os.path.exists(${JSON.stringify(socketPath)})]})\n`,
    );
    expect(job.preview_rows).toEqual([{ seen: false }]);
  });

  it('a launcher that dies mid-run ends the run with an error; a new one runs the next job', async () => {
    const launcher = t.app.get(SandboxLauncher);
    const pool = t.app.get(SandboxPool);
    const res = await submit(
      t,
      session,
      'def transform(df):\n    while True:\n        pass\n',
    ).expect(200);
    await until(() => pool.busyCount === 1);
    const first = launcher.launcherPid!;
    process.kill(first, 'SIGKILL');
    const failed = await waitForJob(t, session, res.body.job_id as string);
    expect(failed.status).toBe('error');
    expect(failed.error_message).toContain(LAUNCHER_STOPPED_MESSAGE);

    const next = await run(t, session, GROUP_BY);
    expect(next.status).toBe('success');
    expect(launcher.launcherPid).toEqual(expect.any(Number));
    expect(launcher.launcherPid).not.toBe(first);
    await request(t.http).get('/health').expect(200);
  });
});
