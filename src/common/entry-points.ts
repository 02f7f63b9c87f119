import { ChildProcess, fork, ForkOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker, WorkerOptions } from 'node:worker_threads';

/**
 * Entry files for worker threads and child processes: the compiled `<name>.js` beside the
 * caller in dist, or, from TypeScript sources (ts-jest, ts-node), `<name>.ts` with ts-node
 * registered first (transpile only).
 */
function compiledEntry(dir: string, basename: string): string | null {
  const compiled = join(dir, `${basename}.js`);
  return existsSync(compiled) ? compiled : null;
}

/** A worker thread on `dir/<basename>`; a .ts file cannot be a worker entry, so a shim loads it. */
export function startWorkerThread(dir: string, basename: string, options: WorkerOptions): Worker {
  const compiled = compiledEntry(dir, basename);
  if (compiled) return new Worker(compiled, options);
  const shim =
    `require(${JSON.stringify(require.resolve('ts-node'))})` +
    `.register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(dir)} });\n` +
    `require(${JSON.stringify(join(dir, `${basename}.ts`))});`;
  return new Worker(shim, { ...options, eval: true });
}

/** `fork()` of `dir/<basename>`; from sources its execArgv and env also load ts-node. */
export function forkEntry(dir: string, basename: string, options: ForkOptions): ChildProcess {
  const compiled = compiledEntry(dir, basename);
  if (compiled) return fork(compiled, [], options);
  return fork(join(dir, `${basename}.ts`), [], {
    ...options,
    execArgv: [
      ...(options.execArgv ?? []),
      '-r',
      require.resolve('ts-node/register/transpile-only'),
    ],
    env: { ...options.env, TS_NODE_PROJECT: resolve(__dirname, '../../tsconfig.json') },
  });
}
