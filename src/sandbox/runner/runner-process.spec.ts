import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunnerProcess } from './runner-process';
import { formatBytes, RunnerLimits } from './runner-result';
import { killProcessGroup, SANDBOX_STDIO } from '../drivers/sandbox-spawn';

const LIMITS: RunnerLimits = {
  timeoutMs: 1000,
  maxMemoryMb: 512,
  maxOutputBytes: 1024,
  maxResultBytes: 4096,
  maxOutputRows: 10,
  scratchBytes: 1 << 20,
};
const POLICY = { allowedImports: ['pandas'], forbiddenBuiltins: ['eval'], entryPoint: 'transform' };

/** A stand-in for runner.py speaking the same protocol, so the parent's handling is what is tested. */
const PRELUDE = `
import json, os, signal, sys, time
def out(data):
    os.write(3, data if isinstance(data, bytes) else data.encode())
out('{"event": "ready", "python": "3.11.2", "pandas": "1.5.3"}\\n')
job = json.loads(sys.stdin.read())
`;

describe('RunnerProcess (the parent side of the runner protocol)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'acb-runner-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runner(script: string, limits: RunnerLimits = LIMITS): RunnerProcess {
    const proc = spawn('/usr/bin/python3', ['-c', PRELUDE + script], {
      stdio: [...SANDBOX_STDIO],
      detached: true,
      env: {},
    });
    return new RunnerProcess(
      {
        process: proc,
        hostInputDir: dir,
        sandboxInputDir: '/input',
        kill: () => killProcessGroup(proc),
      },
      limits,
    );
  }
  const run = (script: string, limits?: RunnerLimits, signal?: AbortSignal) =>
    runner(script, limits).run({ code: 'def transform(df): return df', policy: POLICY }, signal);

  it('sends the job, reads a valid frame and keeps what the code printed', async () => {
    const result = await run(`
print("job keys:", sorted(job))
print(job["input_path"], job["max_rows"], job["timeout_seconds"], file=sys.stderr)
out('{"status": "ok", "rows": 2, "columns": [{"name": "n", "kind": "i", "nulls": false, "size": 16}]}\\n')
out((7).to_bytes(8, "little") + (9).to_bytes(8, "little"))
`);
    expect(result.status).toBe('success');
    if (result.status !== 'success') return;
    const column = result.frame.columns[0];
    expect(column.kind === 'i' && column.values).toEqual(new BigInt64Array([7n, 9n]));
    expect(result.stdout).toBe(
      "job keys: ['allowed_imports', 'check_function', 'code', 'entry_point', 'error_message_max_chars', 'forbidden_builtins', 'input_path', 'max_rows', 'timeout_seconds']\n",
    );
    expect(result.stderr).toBe('/input/input.bin 10 1\n');
  });

  it('reports the ready line (versions) before the job', async () => {
    const r = runner('time.sleep(5)');
    await expect(r.ready).resolves.toEqual({ python: '3.11.2', pandas: '1.5.3' });
    r.stop('cancelled');
    await r.exited;
  });

  it.each([
    ['memory', '{"status": "error", "kind": "memory"}', 'used more than 512 MB of memory'],
    [
      'rows',
      '{"status": "error", "kind": "rows", "rows": 2000000}',
      'output has 2,000,000 rows; the limit is 10',
    ],
    [
      'type',
      '{"status": "error", "kind": "type", "type": "list"}',
      'transform returned a list, not a DataFrame',
    ],
    [
      'type with a vowel',
      '{"status": "error", "kind": "type", "type": "int"}',
      'transform returned an int, not a DataFrame',
    ],
    [
      'type None',
      '{"status": "error", "kind": "type", "type": "None"}',
      'transform returned None, not a DataFrame',
    ],
    [
      'no columns',
      '{"status": "error", "kind": "no_columns"}',
      'transform returned a DataFrame with no columns',
    ],
    [
      'exception',
      '{"status": "error", "kind": "exception", "message": "KeyError: x (line 3)"}',
      'KeyError: x (line 3)',
    ],
    [
      'unknown',
      '{"status": "error", "kind": "surprise"}',
      'the sandbox returned malformed output: unknown result',
    ],
    ['not JSON', '{nope', 'the sandbox returned malformed output: the header is not JSON'],
  ])('turns a %s result into a message', async (_name, header, message) => {
    const result = await run(`out(${JSON.stringify(header + '\n')})`);
    expect(result).toMatchObject({ status: 'error', errorMessage: message });
  });

  it('kills at the wall-clock timeout', async () => {
    const result = await run('time.sleep(30)');
    expect(result).toMatchObject({ status: 'error', errorMessage: 'timed out after 1 s' });
  });

  it('kills when stdout and stderr pass the cap, keeping only the cap', async () => {
    const result = await run('while True:\n    print("x" * 100, flush=True)');
    expect(result).toMatchObject({
      status: 'error',
      errorMessage: 'printed more than 1 KB to stdout/stderr; that is the limit',
    });
    expect(result.stdout.length).toBe(1024);
  });

  it('kills when the result passes its cap', async () => {
    const result = await run('out(\'{"status": "ok"}\\n\')\nwhile True:\n    out(bytes(65536))');
    expect(result).toMatchObject({
      status: 'error',
      errorMessage: 'output is larger than 4 KB; that is the limit',
    });
  });

  it('reports a crash by signal, directly or as bubblewrap exit code 128 + N', async () => {
    const direct = await run('os.kill(os.getpid(), signal.SIGSEGV)');
    expect(direct.status === 'error' && direct.errorMessage).toMatch(
      /^the sandboxed Python process crashed \(SIGSEGV\)/,
    );
    const viaBwrap = await run('os._exit(128 + 11)');
    expect(viaBwrap.status === 'error' && viaBwrap.errorMessage).toMatch(/crashed \(SIGSEGV\)/);
    const cpu = await run('os._exit(128 + 24)');
    expect(cpu).toMatchObject({ errorMessage: 'timed out after 1 s (CPU time limit)' });
  });

  it('reports an exit without a result', async () => {
    const result = await run('os._exit(3)');
    expect(result).toMatchObject({
      status: 'error',
      errorMessage: 'the sandboxed Python process exited with code 3 without a result',
    });
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const pending = run('time.sleep(30)', { ...LIMITS, timeoutMs: 60_000 }, controller.signal);
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toMatchObject({ status: 'error', errorMessage: 'cancelled' });
  });

  it('runs exactly one job', async () => {
    const r = runner('out(\'{"status": "error", "kind": "memory"}\\n\')');
    await r.run({ code: 'x', policy: POLICY });
    await expect(r.run({ code: 'x', policy: POLICY })).rejects.toThrow(/exactly one job/);
  });

  it('writes the result to resultFile as it arrives and removes the file after', async () => {
    const file = join(dir, 'result.frame');
    const header =
      '{"status": "ok", "rows": 2, "columns": [{"name": "n", "kind": "i", "nulls": false, "size": 16}]}\n';
    // The sandbox sends half the frame, waits until that half is on disk, then the rest.
    const result = await runner(`
import pathlib
out(${JSON.stringify(header)})
out((7).to_bytes(8, "little"))
path = pathlib.Path(${JSON.stringify(file)})
while not path.exists() or path.stat().st_size < ${header.length + 8}:
    time.sleep(0.01)
print("on disk:", path.stat().st_size, file=sys.stderr)
out((9).to_bytes(8, "little"))
`).run({ code: 'x', policy: POLICY, resultFile: file });
    expect(result.stderr).toBe(`on disk: ${header.length + 8}\n`);
    expect(result.status).toBe('success');
    if (result.status !== 'success') return;
    const column = result.frame.columns[0];
    expect(column.kind === 'i' && column.values).toEqual(new BigInt64Array([7n, 9n]));
    expect(existsSync(file)).toBe(false);
  });

  it('stops at the cap with a resultFile too, and removes the file', async () => {
    const file = join(dir, 'big.frame');
    const r = runner('out(\'{"status": "ok"}\\n\')\nwhile True:\n    out(bytes(65536))');
    const result = await r.run({ code: 'x', policy: POLICY, resultFile: file });
    expect(result).toMatchObject({
      status: 'error',
      errorMessage: 'output is larger than 4 KB; that is the limit',
    });
    expect(existsSync(file)).toBe(false);
  });

  it('formats byte limits the way messages use them', () => {
    expect([formatBytes(1024 * 1024), formatBytes(65536), formatBytes(1000)]).toEqual([
      '1 MB',
      '64 KB',
      '1000 bytes',
    ]);
  });
});
