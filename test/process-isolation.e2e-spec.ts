import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { CodeChecker } from '../src/sandbox';
import { SANDBOX_ENV, SANDBOX_UID } from '../src/sandbox/sandbox-limits';
import { run, submit } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const CANARY = `sk-ant-canary-${randomBytes(16).toString('hex')}`;
const MARK = `acbpwned${randomBytes(4).toString('hex')}`;
const PRELUDE =
  'import pandas as pd\nos = pd.compat.os\nsys = os.sys\nB = sys.modules["builtins"]\n\ndef transform(df):\n';
const permissiveChecker: CodeChecker = { check: async (): Promise<string[]> => [] };

describe('SANDBOX_ISOLATION=process (hosts without user namespaces)', () => {
  let t: TestApp;
  let session: string;

  beforeAll(async () => {
    t = await startTestApp(
      { SANDBOX_ISOLATION: 'process', ANTHROPIC_API_KEY: CANARY, SANDBOX_TIMEOUT_SECONDS: '5' },
      (builder) => builder.overrideProvider(CodeChecker).useValue(permissiveChecker),
    );
    session = await uploadCsv(t, 'region,amount\nnorth,1\nsouth,2\nnorth,3\n');
  });
  afterAll(async () => t.close());

  const attack = (body: string) =>
    run(
      t,
      session,
      PRELUDE +
        body
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n') +
        '\n',
    );

  it('reports the weak level on /health', async () => {
    const res = await request(t.http).get('/health').expect(200);
    expect(res.body.sandbox).toMatchObject({ isolation: 'process', pandas: '1.5.3' });
  });

  it('runs a transform', async () => {
    const job = await run(
      t,
      session,
      'def transform(df):\n    return df.groupby("region", as_index=False)["amount"].sum()\n',
    );
    expect(job.preview_rows).toEqual([
      { region: 'north', amount: 4 },
      { region: 'south', amount: 2 },
    ]);
  });

  it('scrubs the environment: only the allowlist, never the API key', async () => {
    const job = await attack(
      'return pd.DataFrame({"k": list(os.environ), "v": list(os.environ.values())})',
    );
    expect(job.preview_rows.map((r) => String(r.k)).sort()).toEqual(
      Object.keys(SANDBOX_ENV).sort(),
    );
    expect(JSON.stringify(job)).not.toContain(CANARY);
  });

  it('never runs as root', async () => {
    const job = await attack('return pd.DataFrame({"uid": [os.getuid()], "euid": [os.geteuid()]})');
    const expected = process.getuid?.() === 0 ? SANDBOX_UID : process.getuid?.();
    expect(job.preview_rows).toEqual([{ uid: expected, euid: expected }]);
  });

  it('seccomp still stops process creation without an audit event', async () => {
    const job = await attack(
      'ps = sys.modules["_posixsubprocess"]\nr, w = os.pipe()\nps.fork_exec([b"/usr/bin/true"], [b"/usr/bin/true"], True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False)\nreturn df',
    );
    expect(job.error_message).toMatch(/^PermissionError: \[Errno 1\] Operation not permitted/);
  });

  it('the audit hook refuses host reads, writes and sockets', async () => {
    const read = await attack(
      `return pd.DataFrame({"x": [B.open(${JSON.stringify(join(t.root, '.env'))}).read()]})`,
    );
    expect(read.error_message).toMatch(/PermissionError: reading .* is not allowed in the sandbox/);
    const write = await attack(
      `B.open(${JSON.stringify(join(tmpdir(), MARK))}, "w").write("x")\nreturn df`,
    );
    expect(write.error_message).toMatch(/PermissionError: writing files is not allowed/);
    expect(existsSync(join(tmpdir(), MARK))).toBe(false);
    const net = await attack('sys.modules["socket"].socket()\nreturn df');
    expect(net.error_message).toMatch(/PermissionError: 'socket\.__new__' is not allowed/);
  });

  it('rlimits still bound memory', async () => {
    const job = await attack('hog = bytearray(4 * 1024 ** 3)\nreturn df');
    expect(job.error_message).toBe('used more than 512 MB of memory');
  });
});

describe('production and weak isolation', () => {
  it('refuses jobs with 503 unless SANDBOX_ALLOW_WEAK_ISOLATION=true', async () => {
    const env = {
      APP_ENV: 'production',
      SANDBOX_ISOLATION: 'process',
      ANTHROPIC_API_KEY: CANARY,
      SANDBOX_POOL_SIZE: '0',
    };
    const refused = await startTestApp(env);
    try {
      const sid = await uploadCsv(refused, 'a\n1\n');
      const res = await submit(refused, sid, 'def transform(df):\n    return df\n').expect(503);
      expect(res.body.detail).toMatch(
        /production requires bubblewrap.*SANDBOX_ALLOW_WEAK_ISOLATION=true/,
      );
      expect((await request(refused.http).get('/health').expect(200)).body.sandbox.isolation).toBe(
        'process',
      );
    } finally {
      await refused.close();
    }
    const allowed = await startTestApp({ ...env, SANDBOX_ALLOW_WEAK_ISOLATION: 'true' });
    try {
      const sid = await uploadCsv(allowed, 'a\n1\n');
      const job = await run(allowed, sid, 'def transform(df):\n    return df\n');
      expect(job).toMatchObject({ status: 'success', preview_rows: [{ a: 1 }] });
    } finally {
      await allowed.close();
    }
  });
});
