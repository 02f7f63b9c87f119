import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { FakeAnthropic } from './support/fake-anthropic';
import { startTestApp, TestApp } from './support/test-app';
import { FAKE_MODEL_KEY, scriptTask, startFakeModel } from '../eval/fake-model';
import { runEval } from '../eval/harness';
import { loadTasks } from '../eval/task-set';

/**
 * `npm run eval` in CI: the whole task set through the HTTP API (upload, refine, auto,
 * download, compare) against the fake model's scripts. Every scripted task passes, with the
 * number of attempts its script implies, and the summary line prints.
 */
describe('npm run eval against the fake model', () => {
  let fake: FakeAnthropic;
  let t: TestApp;
  let apiBase: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestApp({ ANTHROPIC_API_KEY: FAKE_MODEL_KEY, ANTHROPIC_BASE_URL: fake.url });
    const server = t.http as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}${t.prefix}`;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('passes every task, repairing the broken first answers, and prints the summary', async () => {
    const tasks = loadTasks();
    const lines: string[] = [];
    const { results, summary } = await runEval({
      apiBase,
      tasks,
      beforeTask: (task) => scriptTask(fake, task),
      log: (line) => lines.push(line),
    });

    expect(results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.failure}`)).toEqual([]);
    expect(summary.successRate).toBe(100);
    for (const task of tasks) {
      const result = results.find((r) => r.name === task.name)!;
      // A seed-style script is adapted locally within its attempt; otherwise each scripted
      // answer but the last fails, so auto mode uses them all.
      const seedStyle = task.fakeAttempts[0].includes('INPUT_FILE_PATH');
      expect([task.name, result.attempts]).toEqual([
        task.name,
        seedStyle ? 1 : task.fakeAttempts.length,
      ]);
      expect(result.tokens.input).toBeGreaterThan(0);
      expect(result.tokens.output).toBeGreaterThan(0);
    }
    expect(lines).toHaveLength(tasks.length + 1);
    expect(lines[0]).toMatch(
      /^PASS {2}\S+ +attempts \d+ {2}tokens in \d+ out \d+ cache-read \d+ {2}\d+\.\d s/,
    );
    expect(lines[lines.length - 1]).toMatch(
      new RegExp(
        `^summary: ${tasks.length} tasks, ${tasks.length} passed, success rate 100\\.0%, ` +
          'mean attempts \\d+\\.\\d\\d, tokens in \\d+ out \\d+ cache-read \\d+ \\(mean \\d+ per task\\), ' +
          'p50 \\d+\\.\\d s per task$',
      ),
    );
  }, 600_000);
});
