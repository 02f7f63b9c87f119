import { ConfigType } from '@nestjs/config';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { storageConfig } from '../../config/configuration';
import { BubblewrapSandbox } from './bubblewrap-sandbox';
import { LaunchSpec, preamble } from './launcher-protocol';
import { ProcessSandbox } from './process-sandbox';
import { SANDBOX_ENV } from '../sandbox-limits';
import { LAUNCHER_STOPPED_MESSAGE, SandboxLauncher, SandboxProcess } from './sandbox-launcher';
import { SandboxWorkspace } from '../sandbox-workspace';

const PYTHON = '/usr/bin/python3';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Outcome {
  out: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  error: Error | null;
  events: string[];
}

/** Reads stdout, stderr and stdio[3] to the end and waits for 'close'. */
async function collect(proc: SandboxProcess): Promise<Outcome> {
  const out = ['', '', '', ''];
  const events: string[] = [];
  for (const fd of [1, 2, 3]) {
    (proc.stdio[fd] as Readable).on('data', (c: Buffer) => (out[fd] += c.toString('latin1')));
  }
  let error: Error | null = null;
  proc.on('error', (e) => {
    error = e;
    events.push('error');
  });
  proc.on('exit', () => events.push('exit'));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    proc.on('close', (c, s) => {
      events.push('close');
      resolve([c, s]);
    }),
  );
  return { out, code, signal, error, events };
}

describe('SandboxLauncher (sandboxes started by a helper process)', () => {
  let root: string;
  let workspace: SandboxWorkspace;
  let launcher: SandboxLauncher;
  const python = (code: string, extra: Partial<LaunchSpec> = {}) =>
    launcher.launch({
      file: PYTHON,
      args: ['-c', code],
      env: { ...SANDBOX_ENV },
      killMode: 'group',
      ...extra,
    });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'acb-launcher-spec-'));
    workspace = new SandboxWorkspace({ tempDir: root } as ConfigType<typeof storageConfig>);
    workspace.prepare();
    launcher = new SandboxLauncher(workspace);
  });
  afterAll(async () => {
    await launcher.stop();
    workspace.onApplicationShutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('carries stdin, stdout, stderr and fd 3 both ways, with exit before close', async () => {
    const child = python(`
import os, sys
data = sys.stdin.buffer.read()
sys.stdout.write("out:" + data.decode())
sys.stderr.write("err:" + str(len(data)) + str([os.get_blocking(fd) for fd in range(4)]))
view = memoryview(b"r" * 3_000_000)
while view:
    view = view[os.write(3, view):]
`);
    // Written at once, before the launcher has even started the sandbox.
    child.process.stdin?.end('hello sandbox');
    const result = await collect(child.process);
    expect(result.out[1]).toBe('out:hello sandbox');
    // Blocking, as pipes would be.
    expect(result.out[2]).toBe('err:13[True, True, True, True]');
    expect(result.out[3]).toBe('r'.repeat(3_000_000));
    expect([result.code, result.signal, result.error]).toEqual([0, null, null]);
    expect(result.events).toEqual(['exit', 'close']);
    expect(child.process.pid).toEqual(expect.any(Number));
    expect(child.process.exitCode).toBe(0);
  });

  it('reports exit codes and signals as a ChildProcess does', async () => {
    const [exited, signalled] = await Promise.all([
      collect(python('import sys; sys.exit(7)').process),
      collect(python('import os, signal; os.kill(os.getpid(), signal.SIGTERM)').process),
    ]);
    expect([exited.code, exited.signal]).toEqual([7, null]);
    expect([signalled.code, signalled.signal]).toEqual([null, 'SIGTERM']);
  });

  it('kills the whole process group on kill(), and kill() after the exit is harmless', async () => {
    const child = python(`
import subprocess, sys, time
p = subprocess.Popen(["/usr/bin/sleep", "60"])
print(p.pid, flush=True)
time.sleep(60)
`);
    let printed = '';
    (child.process.stdout as Readable).on('data', (c: Buffer) => (printed += c.toString()));
    const closed = collect(child.process);
    await until(() => printed.includes('\n'));
    const grandchild = Number(printed.trim());
    expect(isAlive(grandchild)).toBe(true);
    child.kill();
    const result = await closed;
    expect([result.code, result.signal]).toEqual([null, 'SIGKILL']);
    await until(() => !isAlive(grandchild));
    child.kill();
  });

  it('reports a program that cannot be started as an error, then close', async () => {
    const result = await collect(
      launcher.launch({ file: '/nonexistent/python', args: [], env: {}, killMode: 'group' })
        .process,
    );
    expect(result.error?.message).toMatch(/^the sandbox could not be started: .*ENOENT/);
    expect(result.events).toEqual(['error', 'close']);
  });

  it('fails the runs of a launcher that dies with a clear error and starts a new one', async () => {
    const first = launcher.launcherPid;
    expect(first).toEqual(expect.any(Number));
    const child = python('import time; print("up", flush=True); time.sleep(60)');
    let printed = '';
    (child.process.stdout as Readable).on('data', (c: Buffer) => (printed += c.toString()));
    const closed = collect(child.process);
    await until(() => printed.includes('up'));
    const sandboxPid = child.process.pid!;
    process.kill(first!, 'SIGKILL');
    const result = await closed;
    expect(result.error?.message).toBe(LAUNCHER_STOPPED_MESSAGE);
    expect(result.events[0]).toBe('error');
    await until(() => !isAlive(sandboxPid));

    const next = python('print("again")');
    const again = await collect(next.process);
    expect([again.out[1], again.code]).toEqual(['again\n', 0]);
    expect(launcher.launcherPid).not.toBe(first);
  });

  it('drops connections to its socket that do not carry the secret', async () => {
    const child = python('import sys, time; time.sleep(1); print("genuine")');
    const closed = collect(child.process);
    await until(() => child.process.pid !== undefined);
    const dir = readdirSync(workspace.baseDir).find((n) => n.startsWith('launch-'))!;
    const intruder: Socket = connect(join(workspace.baseDir, dir, 's'));
    await once(intruder, 'connect');
    // The right launch id and stream, the wrong secret.
    const id = Number(Object.keys(Object.fromEntries(launcher['launches']))[0]);
    intruder.write(preamble('0'.repeat(64), id, 1) + 'INJECTED\n');
    intruder.on('error', () => undefined);
    await once(intruder, 'close');
    const result = await closed;
    expect(result.out[1]).toBe('genuine\n');
  });

  it('keeps its secret out of the launcher’s argv and environment', () => {
    const pid = launcher.launcherPid!;
    const secret = launcher['secret'];
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    for (const file of ['cmdline', 'environ']) {
      expect(readFileSync(`/proc/${pid}/${file}`, 'latin1')).not.toContain(secret);
    }
    expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain('ANTHROPIC');
  });

  describe('the socket is out of the sandboxes’ reach', () => {
    const PROBE = `
import json, socket, sys
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    print(json.dumps({"ok": True}))
except OSError as e:
    print(json.dumps({"ok": False, "error": type(e).__name__}))
`;
    let socketPath: string;
    beforeAll(() => {
      writeFileSync(join(workspace.runnerDir, 'connect_probe.py'), PROBE);
      const dir = readdirSync(workspace.baseDir).find((n) => n.startsWith('launch-'))!;
      socketPath = join(workspace.baseDir, dir, 's');
    });

    it('under process isolation (another user, or no secret)', async () => {
      const provider = new ProcessSandbox(PYTHON, workspace, launcher);
      const child = provider.launch({ script: 'connect_probe.py', args: [socketPath] });
      child.process.stdin?.end();
      const result = await collect(child.process);
      expect(result.code).toBe(0);
      const outcome = JSON.parse(result.out[1]) as { ok: boolean; error?: string };
      if (workspace.dropsPrivileges)
        expect(outcome).toEqual({ ok: false, error: 'PermissionError' });
      // Same user: it may connect, but without the secret it is dropped (test above).
      else expect(typeof outcome.ok).toBe('boolean');
    });

    it('under bubblewrap (the folder is not mounted)', async () => {
      const provider = await BubblewrapSandbox.create(
        { python: PYTHON, scratchBytes: 1 << 20 },
        workspace,
        launcher,
      );
      const child = provider.launch({ script: 'connect_probe.py', args: [socketPath] });
      child.process.stdin?.end();
      const result = await collect(child.process);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out[1])).toEqual({ ok: false, error: 'FileNotFoundError' });
    });
  });
});

describe('launcher-main (the helper itself)', () => {
  it('kills its sandboxes and exits when the API’s IPC channel closes (API SIGKILLed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acb-launcher-main-'));
    const socketPath = join(dir, 's');
    const secret = 'f'.repeat(64);
    const server = createServer((s) => s.resume()).listen(socketPath);
    const helper = fork(join(__dirname, 'launcher-main.ts'), [], {
      execArgv: ['-r', require.resolve('ts-node/register/transpile-only')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const spawned = new Promise<number>((resolve) =>
        helper.on('message', (m: { type: string; pid: number }) => {
          if (m.type === 'spawned') resolve(m.pid);
        }),
      );
      helper.send({ type: 'init', socketPath, secret });
      helper.send({
        type: 'launch',
        id: 1,
        spec: {
          file: PYTHON,
          args: ['-c', 'import time; time.sleep(60)'],
          env: {},
          killMode: 'group',
        } satisfies LaunchSpec,
      });
      const pid = await spawned;
      expect(isAlive(pid)).toBe(true);
      const exited = once(helper, 'exit');
      helper.disconnect();
      await exited;
      await until(() => !isAlive(pid));
    } finally {
      helper.kill('SIGKILL');
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
