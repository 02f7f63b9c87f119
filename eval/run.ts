/**
 * `npm run eval [-- [--only <prefix>] [--fail-under <percent>] [--task-timeout <seconds>]]`
 *
 * Starts the built server (rebuilt first when a source is newer) and runs every task of
 * eval/tasks through its HTTP API: upload, refine, auto, download, compare. Without
 * ANTHROPIC_API_KEY the model is a local fake Messages API answering each task's script;
 * with it, the real model (ANTHROPIC_BASE_URL and ANTHROPIC_MODEL as set).
 *
 * Exit status: 0 when the eval ran (whatever the rate), 2 when the rate is below
 * --fail-under, 1 when the harness itself failed (server would not start, a task folder
 * is malformed, the server went away).
 */
import { parseArgs } from 'node:util';
import { startServer } from '../bench/support/server';
import { FAKE_MODEL_KEY, scriptTask, startFakeModel } from './fake-model';
import { runEval } from './harness';
import { loadTasks } from './task-set';

/** A wrong option or task filter: said in one line, without a stack. */
class UsageError extends Error {}

/** The first token of API_AUTH_TOKEN (one token, or a JSON list). */
function authToken(): string | undefined {
  const raw = process.env.API_AUTH_TOKEN?.trim();
  if (!raw) return undefined;
  if (!raw.startsWith('[')) return raw;
  const list = JSON.parse(raw) as unknown;
  return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : undefined;
}

async function main(): Promise<number> {
  let values: { only?: string; 'fail-under'?: string; 'task-timeout'?: string };
  try {
    values = parseArgs({
      options: {
        only: { type: 'string' },
        'fail-under': { type: 'string' },
        'task-timeout': { type: 'string', default: '600' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const failUnder = values['fail-under'] === undefined ? null : Number(values['fail-under']);
  if (failUnder !== null && !(failUnder >= 0 && failUnder <= 100))
    throw new UsageError('--fail-under takes a percentage between 0 and 100');
  const timeoutSeconds = Number(values['task-timeout'] ?? 600);
  if (!(timeoutSeconds > 0))
    throw new UsageError('--task-timeout takes a number of seconds above 0');
  const tasks = loadTasks(undefined, values.only);
  if (tasks.length === 0) throw new UsageError(`no task matches ${JSON.stringify(values.only)}`);

  const realKey = process.env.ANTHROPIC_API_KEY?.trim();
  const fake = realKey ? null : await startFakeModel();
  const server = await startServer(
    fake ? { ANTHROPIC_API_KEY: FAKE_MODEL_KEY, ANTHROPIC_BASE_URL: fake.url } : {},
  );
  try {
    const health = await fetch(`${server.url}/health`);
    if (!health.ok) throw new Error(`the server did not start (GET /health: ${health.status})`);
    console.log(
      fake
        ? 'model: fake (scripted answers; no ANTHROPIC_API_KEY)'
        : `model: ${process.env.ANTHROPIC_MODEL ?? "the server's default"} (ANTHROPIC_API_KEY set` +
            `${process.env.ANTHROPIC_BASE_URL ? `, ANTHROPIC_BASE_URL=${process.env.ANTHROPIC_BASE_URL}` : ''})`,
    );
    console.log(`tasks: ${tasks.length} from eval/tasks, server ${server.url}`);
    const { summary } = await runEval({
      apiBase: `${server.url}${process.env.API_PREFIX ?? '/api/v1'}`,
      tasks,
      token: authToken(),
      beforeTask: fake ? (task) => scriptTask(fake, task) : undefined,
      taskTimeoutMs: timeoutSeconds * 1000,
    });
    if (failUnder !== null && summary.successRate < failUnder) {
      console.log(
        `success rate ${summary.successRate.toFixed(1)}% is under --fail-under ${failUnder}%`,
      );
      return 2;
    }
    return 0;
  } finally {
    await server.stop();
    await fake?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('eval failed:', error instanceof UsageError ? error.message : error);
    process.exit(1);
  },
);
