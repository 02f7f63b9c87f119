import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { sandboxConfig } from '../src/config/configuration';
import { CodeChecker } from '../src/sandbox';
import { limitsArgument } from '../src/sandbox/runner/runner-process';
import { SANDBOX_ENV, SANDBOX_UID } from '../src/sandbox/sandbox-limits';
import { SandboxProvider } from '../src/sandbox/drivers/sandbox-provider';
import { SandboxWorkspace } from '../src/sandbox/sandbox-workspace';
import { JobResult, submit, waitForJob } from './support/execution-client';
import { startTestApp, TestApp, uploadCsv } from './support/test-app';

const CANARY = `sk-ant-canary-${randomBytes(16).toString('hex')}`;
const MARK = `acbpwned${randomBytes(4).toString('hex')}`;
const OTHER_SECRET = `other-session-secret-${randomBytes(6).toString('hex')}`;
const TIMEOUT_SECONDS = 3;
const SCRATCH_MB = 8;
const RESULT_MB = 4;
/** The allowlist, plus PWD, which bubblewrap sets itself for --chdir. */
const ALLOWED_ENV = [...Object.keys(SANDBOX_ENV), 'PWD'].sort();

/** Every attack starts from the modules pandas already imported, as real escapes do. */
const PRELUDE = `import pandas as pd
import numpy as np
os = pd.compat.os
sys = os.sys
B = sys.modules["builtins"]
`;

const attackCode = (body: string): string =>
  `${PRELUDE}\ndef transform(df):\n${body
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

/** The static check is the first layer, not the boundary: these tests switch it off to reach the sandbox. */
const permissiveChecker: CodeChecker = { check: async (): Promise<string[]> => [] };

describe('Security: attacks through HTTP, with the static check switched off', () => {
  let t: TestApp;
  let session: string;
  let other: string;
  let previousKey: string | undefined;
  const seen: string[] = [];

  const record = (text: string): void => {
    seen.push(text);
  };

  async function attack(body: string): Promise<JobResult> {
    const res = await submit(t, session, attackCode(body)).expect(200);
    record(JSON.stringify(res.body));
    const job = await waitForJob(t, session, res.body.job_id);
    record(JSON.stringify(job));
    if (job.status === 'success') {
      const csv = await request(t.http)
        .get(`${t.prefix}/execute/${session}/${job.job_id}/output`)
        .expect(200);
      record(csv.text);
    }
    return job;
  }

  const rows = (job: JobResult): string => JSON.stringify(job.preview_rows);

  beforeAll(async () => {
    // The server's own environment holds the secret, as a deployment's would.
    previousKey = process.env.ANTHROPIC_API_KEY;
    process.env.ANTHROPIC_API_KEY = CANARY;
    t = await startTestApp(
      {
        ANTHROPIC_API_KEY: CANARY,
        SANDBOX_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        SANDBOX_SCRATCH_MB: String(SCRATCH_MB),
        SANDBOX_MAX_RESULT_MB: String(RESULT_MB),
        MAX_OUTPUT_BYTES: String(64 * 1024),
      },
      (builder) => builder.overrideProvider(CodeChecker).useValue(permissiveChecker),
    );
    // The server's own secrets on disk, as a deployment would have them.
    writeFileSync(join(t.root, '.env'), `ANTHROPIC_API_KEY=${CANARY}\n`);
    session = await uploadCsv(t, 'id,region,amount\n1,north,10\n2,south,5\n');
    other = await uploadCsv(t, `secret\n${OTHER_SECRET}\n`);
  });

  afterAll(async () => {
    if (previousKey === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = previousKey;
    await t.close();
  });

  describe('secrets and host files', () => {
    it('os.environ holds only the allowlist: the server environment never reaches the sandbox', async () => {
      const job = await attack(
        'return pd.DataFrame({"k": list(os.environ), "v": list(os.environ.values())})',
      );
      expect(job.status).toBe('success');
      const keys = job.preview_rows.map((r) => r.k);
      expect(keys.map(String).sort()).toEqual(ALLOWED_ENV);
      expect(rows(job)).not.toContain(CANARY);
    });

    it('/proc/self/environ cannot be read', async () => {
      const job = await attack(
        'return pd.DataFrame({"e": [B.open("/proc/self/environ", "rb").read()]})',
      );
      expect(job.error_message).toMatch(
        /^PermissionError: reading '\/proc\/self\/environ' is not allowed in the sandbox/,
      );
    });

    it("the server's .env file is out of reach", async () => {
      const job = await attack(
        `return pd.DataFrame({"e": [B.open(${JSON.stringify(join(t.root, '.env'))}).read()]})`,
      );
      expect(job.status).toBe('error');
      expect(job.error_message).toMatch(/PermissionError: reading .* is not allowed/);
    });

    it('the host folders do not exist inside the sandbox (mount namespace)', async () => {
      const job = await attack(`return pd.DataFrame({"x": os.listdir(${JSON.stringify(t.root)})})`);
      expect(job.error_message).toMatch(
        /^FileNotFoundError: \[Errno 2\] No such file or directory/,
      );
    });

    it('/etc/passwd cannot be read', async () => {
      const job = await attack('return pd.DataFrame({"x": [B.open("/etc/passwd").read()]})');
      expect(job.error_message).toMatch(/PermissionError: reading '\/etc\/passwd' is not allowed/);
    });

    it("the server's /proc entry is invisible (pid namespace)", async () => {
      const job = await attack(
        'return pd.DataFrame({"pid": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())})',
      );
      expect(job.status).toBe('success');
      const pids = job.preview_rows.map((r) => Number(r.pid));
      expect(pids).not.toContain(process.pid);
      expect(Math.max(...pids)).toBeLessThan(10);
    });

    it('the filesystem root holds only the sandbox view', async () => {
      const job = await attack('return pd.DataFrame({"name": sorted(os.listdir("/"))})');
      const names = job.preview_rows.map((r) => String(r.name));
      expect(names.length).toBeGreaterThan(0);
      const allowed = [
        'bin',
        'dev',
        'etc',
        'input',
        'lib',
        'lib32',
        'lib64',
        'proc',
        'runner',
        'sbin',
        'tmp',
        'usr',
      ];
      expect(names.filter((n) => !allowed.includes(n))).toEqual([]);
    });

    it("another session's data is not visible: only this job's input is mounted", async () => {
      const job = await attack(
        'found = []\nfor d in ("/input", "/tmp"):\n    for name in os.listdir(d):\n        found.append(d + "/" + name)\nreturn pd.DataFrame({"f": found})',
      );
      expect(job.preview_rows.map((r) => r.f)).toEqual(['/input/input.bin']);
      expect(rows(job)).not.toContain(OTHER_SECRET);
      expect(other).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('processes', () => {
    it('os.system through pd.compat.os is blocked', async () => {
      const job = await attack(`os.system("touch /tmp/${MARK}")\nreturn df`);
      expect(job.error_message).toMatch(
        /^PermissionError: 'os.system' is not allowed in the sandbox/,
      );
    });

    it('().__class__.__base__.__subclasses__() to os._wrap_close globals is blocked', async () => {
      const job = await attack(
        `for cls in ().__class__.__base__.__subclasses__():\n    if cls.__name__ == "_wrap_close":\n        cls.__init__.__globals__["system"]("touch /tmp/${MARK}")\nreturn df`,
      );
      expect(job.error_message).toMatch(/PermissionError: 'os.system' is not allowed/);
    });

    it('subprocess re-exported by pandas is blocked', async () => {
      const job = await attack('sys.modules["subprocess"].run(["id"])\nreturn df');
      expect(job.error_message).toMatch(/PermissionError: 'subprocess.Popen' is not allowed/);
    });

    it('_posixsubprocess.fork_exec (no audit event) is stopped by seccomp', async () => {
      const job = await attack(
        'ps = sys.modules["_posixsubprocess"]\nr, w = os.pipe()\nps.fork_exec([b"/usr/bin/touch", b"/tmp/' +
          MARK +
          '"], [b"/usr/bin/touch"], True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False)\nreturn df',
      );
      expect(job.error_message).toMatch(/^PermissionError: \[Errno 1\] Operation not permitted/);
    });

    it('a fork bomb is stopped', async () => {
      const job = await attack('while True:\n    os.fork()');
      expect(job.error_message).toMatch(/PermissionError: 'os.fork' is not allowed/);
    });

    it('killing the server or the sandbox init is blocked, and the server lives', async () => {
      const job = await attack(`os.kill(${process.pid}, 9)\nreturn df`);
      expect(job.error_message).toMatch(/PermissionError: 'os.kill' is not allowed/);
      const init = await attack('os.killpg(0, 9)\nreturn df');
      expect(init.error_message).toMatch(/PermissionError: 'os.killpg' is not allowed/);
      await request(t.http).get('/health').expect(200);
    });

    it('anonymous memory files (memfd, no audit event) are refused by seccomp', async () => {
      const job = await attack('os.memfd_create("hog")\nreturn df');
      expect(job.error_message).toMatch(/^PermissionError: \[Errno 1\] Operation not permitted/);
    });
  });

  describe('in-process escape hatches', () => {
    it('ctypes re-exported by pandas cannot load a library', async () => {
      const job = await attack('pd.errors.ctypes.CDLL(None).system(b"id")\nreturn df');
      expect(job.error_message).toMatch(/PermissionError: 'ctypes.dlopen' is not allowed/);
    });

    it("ctypes' ready-made pythonapi handle cannot be used", async () => {
      const job = await attack(
        'sys.modules["ctypes"].pythonapi.PyRun_SimpleString(b"1")\nreturn df',
      );
      expect(job.error_message).toMatch(/PermissionError: 'ctypes\.\w+' is not allowed/);
    });

    it('pickle cannot resolve a global (numpy re-exports it)', async () => {
      const job = await attack(
        `np.compat.pickle.loads(b"cos\\nsystem\\n(S'touch /tmp/${MARK}'\\ntR.")\nreturn df`,
      );
      expect(job.error_message).toMatch(/PermissionError: 'pickle.find_class' is not allowed/);
    });

    it('import outside the allowlist fails in the sandbox too', async () => {
      const job = await attack('import socket\nreturn df');
      expect(job.error_message).toMatch(
        /^ImportError: import of 'socket' is not allowed in the sandbox/,
      );
    });

    it('the removed builtins are gone', async () => {
      const job = await attack('return eval("df")');
      expect(job.error_message).toMatch(/^NameError: name 'eval' is not defined/);
    });

    it('frame walking reaches the runner but finds no secret', async () => {
      const job = await attack(
        'f = sys._getframe()\nseen = []\nwhile f is not None:\n    seen.append(repr(f.f_globals)[:20000])\n    seen.append(repr(f.f_locals)[:20000])\n    f = f.f_back\nreturn pd.DataFrame({"g": seen})',
      );
      expect(job.status).toBe('success');
      expect(job.output_row_count).toBeGreaterThan(2);
      expect(rows(job)).not.toContain(CANARY);
    });

    it('frame walking to the runner cannot exec', async () => {
      const job = await attack(
        'g = sys._getframe(1).f_globals\ng["os"].execv("/bin/sh", ["sh"])\nreturn df',
      );
      expect(job.error_message).toMatch(/PermissionError: 'os.exec' is not allowed/);
    });

    it('format-string traversal reads attributes but leaks no secret', async () => {
      const job = await attack(
        's = "{0.__class__.__init__.__globals__}".format(df)\nreturn pd.DataFrame({"s": [s[:30000]]})',
      );
      expect(job.status).toBe('success');
      expect(rows(job)).not.toContain(CANARY);
    });

    it('pandas query evaluating a call into os is blocked', async () => {
      const job = await attack(`df.query('@os.system("touch /tmp/${MARK}") == 0')\nreturn df`);
      expect(job.error_message).toMatch(/^PermissionError: 'os.system' is not allowed/);
    });

    it('numexpr (CVE-2023-39631) is disabled', async () => {
      const job = await attack('return pd.DataFrame({"x": [pd.eval("1 + 1", engine="numexpr")]})');
      expect(job.error_message).toMatch(/numexpr/);
    });

    it('sqlite3 (writes files without an audit event) cannot be imported', async () => {
      const job = await attack('sys.modules["importlib"].import_module("sqlite3")\nreturn df');
      expect(job.error_message).toMatch(
        /PermissionError: import of 'sqlite3(\.\w+)?' is not allowed/,
      );
    });
  });

  describe('network and files', () => {
    it('sockets are refused', async () => {
      const job = await attack(
        'sys.modules["socket"].create_connection(("1.1.1.1", 443), timeout=1)\nreturn df',
      );
      expect(job.error_message).toMatch(/PermissionError: 'socket\.\w+' is not allowed/);
    });

    it('writing outside the sandbox is refused and nothing appears on the host', async () => {
      const job = await attack(
        `B.open(${JSON.stringify(join(tmpdir(), MARK))}, "w").write("x")\nreturn df`,
      );
      expect(job.error_message).toMatch(/PermissionError: writing files is not allowed/);
      const mkdir = await attack(`os.mkdir(${JSON.stringify(join(t.root, MARK))})\nreturn df`);
      expect(mkdir.error_message).toMatch(/PermissionError: 'os.mkdir' is not allowed/);
    });

    it('the read-only input cannot be changed', async () => {
      const job = await attack('B.open("/input/input.bin", "r+b").write(b"x")\nreturn df');
      expect(job.error_message).toMatch(/PermissionError: writing files is not allowed/);
    });
  });

  describe('limits and the result channel', () => {
    it('a sleeping transform is killed by the wall clock', async () => {
      const job = await attack('sys.modules["time"].sleep(60)\nreturn df');
      expect(job.error_message).toBe(`timed out after ${TIMEOUT_SECONDS} s`);
    });

    it('a segfault ends as a job error', async () => {
      const job = await attack(
        'a = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**40,), strides=(2**20,))\nreturn pd.DataFrame({"s": [a.sum()]})',
      );
      expect(job.error_message).toMatch(/^the sandboxed Python process crashed \(SIG(SEGV|BUS)\)/);
    });

    it('a forged result with wrong sizes is refused', async () => {
      const job = await attack(
        'os.write(3, b\'{"status": "ok", "rows": 5, "columns": [{"name": "x", "kind": "i", "nulls": false, "size": 8}]}\\n\' + bytes(8))\nos._exit(0)',
      );
      expect(job.error_message).toBe(
        'the sandbox returned malformed output: column 0 has 8 bytes for 5 rows',
      );
    });

    it('a forged result over the row limit is refused', async () => {
      const job = await attack(
        'os.write(3, b\'{"status": "ok", "rows": 999999999, "columns": [{"name": "x", "kind": "b", "nulls": false, "size": 999999999}]}\\n\')\nos._exit(0)',
      );
      expect(job.error_message).toMatch(
        /^the sandbox returned malformed output: 999999999 rows exceed the limit/,
      );
    });

    it('a result larger than SANDBOX_MAX_RESULT_MB kills the job', async () => {
      const job = await attack(
        `return pd.DataFrame({"s": ["x" * 1024] * (${RESULT_MB + 1} * 1024)})`,
      );
      expect(job.status).toBe('error');
      expect(job.error_message).toBe(`output is larger than ${RESULT_MB} MB; that is the limit`);
    });

    it('hostile column names are stored safely and the cache stays intact', async () => {
      const job = await attack(
        'return pd.DataFrame([[1, 2, 3, 4, 5]], columns=[\'a"; DROP TABLE x; --\', "A", "a", "\\x00\\n", ""])',
      );
      expect(job.status).toBe('success');
      // Names reach no SQL (columns are c0, c1, ...), so each is kept exactly.
      expect(job.preview_columns).toEqual(['a"; DROP TABLE x; --', 'A', 'a', '\u0000\n', '']);
      expect(job.preview_rows).toEqual([
        { 'a"; DROP TABLE x; --': 1, A: 2, a: 3, '\u0000\n': 4, '': 5 },
      ]);
      const next = await attack('return df.groupby("region", as_index=False)["amount"].sum()');
      expect(next.preview_rows).toEqual([
        { region: 'north', amount: 10 },
        { region: 'south', amount: 5 },
      ]);
    });
  });

  describe('after all attacks', () => {
    it('the canary API key never appeared in any response', async () => {
      const health = await request(t.http).get('/health').expect(200);
      record(JSON.stringify(health.body));
      expect(seen.length).toBeGreaterThan(25);
      for (const text of seen) expect(text).not.toContain(CANARY);
    });

    it('no file appeared outside the job area', () => {
      const places = [
        tmpdir(),
        t.root,
        join(t.root, 'inbound'),
        join(t.root, 'tmp'),
        process.cwd(),
      ];
      for (const place of places) {
        if (existsSync(place))
          expect(readdirSync(place).filter((n) => n.includes(MARK))).toEqual([]);
      }
    });
  });
});

describe('Security: the OS boundary alone (bubblewrap, seccomp, rlimits; no Python layers)', () => {
  let t: TestApp;
  type Outcome = { ok: boolean; value?: unknown; error?: string; errno?: string | number };
  let plain: Record<string, Outcome>;
  let filtered: Record<string, Outcome>;
  let cfg: ConfigType<typeof sandboxConfig>;

  async function probe(
    targets: Record<string, unknown>,
  ): Promise<{ stdout: string; code: number | null }> {
    const workspace = t.app.get(SandboxWorkspace);
    const dir = workspace.createJobDir();
    const child = t.app.get(SandboxProvider).launch({
      script: 'boundary_probe.py',
      args: [limitsArgument(cfg, 'job'), JSON.stringify(targets)],
      inputDir: dir,
    });
    const chunks: Buffer[] = [];
    (child.process.stdout as Readable).on('data', (c: Buffer) => chunks.push(c));
    (child.process.stderr as Readable).resume();
    child.process.stdin?.end();
    const code = await new Promise<number | null>((resolve) =>
      child.process.on('close', (c) => resolve(c)),
    );
    await workspace.removeJobDir(dir);
    return { stdout: Buffer.concat(chunks).toString('utf8'), code };
  }

  const targets = () => ({
    host_files: [
      join(t.root, '.env'),
      '/etc/passwd',
      '/etc/shadow',
      join(process.cwd(), 'package.json'),
      '/root/.bashrc',
    ],
    write_paths: [
      '/escape',
      '/usr/escape',
      '/input/escape',
      '/dev/escape',
      '/dev/shm/escape',
      '/runner/escape',
      '/proc/escape',
    ],
    server_pid: process.pid,
    outside_host: '1.1.1.1',
    outside_port: 443,
  });

  beforeAll(async () => {
    t = await startTestApp({
      ANTHROPIC_API_KEY: CANARY,
      SANDBOX_SCRATCH_MB: String(SCRATCH_MB),
      SANDBOX_POOL_SIZE: '0',
    });
    writeFileSync(join(t.root, '.env'), `ANTHROPIC_API_KEY=${CANARY}\n`);
    cfg = t.app.get(sandboxConfig.KEY);
    copyFileSync(
      join(__dirname, 'support', 'boundary_probe.py'),
      join(t.app.get(SandboxWorkspace).runnerDir, 'boundary_probe.py'),
    );
    const [a, b] = await Promise.all([probe(targets()), probe({ ...targets(), job_filter: true })]);
    plain = JSON.parse(a.stdout) as Record<string, Outcome>;
    filtered = JSON.parse(b.stdout) as Record<string, Outcome>;
  });
  afterAll(async () => t.close());

  it('runs as nobody with no capabilities, no_new_privs and seccomp on', () => {
    const status = plain.status.value as Record<string, string>;
    expect(status.Uid.split(/\s+/)[0]).toBe(String(SANDBOX_UID));
    expect(status.CapEff).toBe('0000000000000000');
    expect(status.CapBnd).toBe('0000000000000000');
    expect(status.NoNewPrivs).toBe('1');
    expect(status.Seccomp).toBe('2');
  });

  it('the environment is the allowlist only', () => {
    expect(plain.environ.ok).toBe(true);
    const keys = String(plain.environ.value)
      .split('\0')
      .filter(Boolean)
      .map((kv) => kv.split('=')[0]);
    expect(keys.sort()).toEqual(ALLOWED_ENV);
    expect(JSON.stringify(plain)).not.toContain(CANARY);
  });

  it('host files, the server process and other folders are invisible', () => {
    for (const key of Object.keys(plain).filter((k) => k.startsWith('host_file_'))) {
      expect([key, plain[key]]).toEqual([
        key,
        expect.objectContaining({ ok: false, errno: 'ENOENT' }),
      ]);
    }
    expect(plain.server_environ).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(plain.root_listing.value).toEqual(
      expect.not.arrayContaining(['home', 'root', 'work', 'var', 'srv', 'opt']),
    );
    expect((plain.proc_pids.value as number[]).every((pid) => pid < 10)).toBe(true);
  });

  it('every mount is read-only except the scratch tmpfs, /proc and the device nodes', () => {
    const mounts = plain.mounts.value as { point: string; options: string; fs: string }[];
    const writable = mounts.filter((m) => m.options.split(',').includes('rw')).map((m) => m.point);
    const allowed = [
      '/tmp',
      '/proc',
      '/dev/pts',
      '/dev/null',
      '/dev/zero',
      '/dev/full',
      '/dev/random',
      '/dev/urandom',
      '/dev/tty',
    ];
    expect(writable.filter((p) => !allowed.includes(p))).toEqual([]);
    expect(mounts.find((m) => m.point === '/tmp')?.fs).toBe('tmpfs');
  });

  it('writes outside /tmp fail with a read-only or missing filesystem', () => {
    for (const key of Object.keys(plain).filter((k) => k.startsWith('write_'))) {
      expect([key, plain[key].ok]).toEqual([key, false]);
      expect(['EROFS', 'ENOENT', 'EACCES']).toContain(plain[key].errno);
    }
    expect(plain.scratch_write.ok).toBe(true);
  });

  it('the scratch space is capped: RLIMIT_FSIZE per file and the tmpfs size overall', () => {
    expect(plain.file_size_limit).toMatchObject({
      ok: true,
      value: [SCRATCH_MB * 1024 * 1024, SCRATCH_MB * 1024 * 1024],
    });
    // Both limits are the scratch size, so either may stop the one big file first.
    expect(plain.scratch_big_file).toMatchObject({
      ok: false,
      errno: expect.stringMatching(/^(EFBIG|ENOSPC)$/),
    });
    expect(plain.scratch_fill).toMatchObject({ ok: false, errno: 'ENOSPC' });
  });

  it('there is no network: only loopback exists and outside addresses are unreachable', () => {
    const interfaces = String(plain.net_dev.value)
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0].trim())
      .filter(Boolean);
    expect(interfaces).toEqual(['lo']);
    expect(plain.connect_out).toMatchObject({ ok: false, errno: 'ENETUNREACH' });
  });

  it('the bubblewrap seccomp filter removes kernel attack surface', () => {
    for (const name of [
      'unshare_user',
      'mount',
      'ptrace',
      'bpf',
      'io_uring',
      'keyctl',
      'perf_event',
      'setns',
      'chroot',
    ]) {
      expect([name, plain[name]]).toEqual([
        name,
        expect.objectContaining({ ok: false, errno: 'EPERM' }),
      ]);
    }
  });

  it('rlimits bound memory and open files', () => {
    expect(plain.allocate).toMatchObject({ ok: false, error: 'MemoryError' });
    expect(plain.open_many).toMatchObject({ ok: false, errno: 'EMFILE' });
  });

  it("the runner's job filter denies processes, exec, sockets, memfd and signals to others; threads still work", () => {
    for (const name of [
      'fork',
      'fork_exec',
      'execve',
      'socket_inet',
      'memfd',
      'kill_init',
      'kill_all',
      'kill_server',
    ]) {
      expect([name, filtered[name]]).toEqual([
        name,
        expect.objectContaining({ ok: false, errno: 'EPERM' }),
      ]);
    }
    expect(filtered.threads).toMatchObject({ ok: true, value: 4 });
    expect(filtered.status.value).toMatchObject({ Seccomp: '2' });
  });

  it('without the job filter the pid namespace still keeps signals inside the sandbox', () => {
    expect(plain.kill_server).toMatchObject({ ok: false, errno: 'ESRCH' });
  });

  it('a syscall through the x32 ABI kills the process instead of bypassing the rules', async () => {
    const result = await probe({ ...targets(), job_filter: true, x32: true });
    // bubblewrap reports "killed by signal N" as exit code 128 + N.
    expect(result.code).toBe(128 + osConstants.signals.SIGSYS);
    expect(result.stdout).not.toContain('x32 syscall returned');
  });
});
