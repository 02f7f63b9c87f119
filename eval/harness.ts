import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compareCsv } from './compare';
import { EvalTask } from './task-set';

/** Tokens as the AI endpoints report them in their final event's `usage`. */
export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
}

export interface TaskResult {
  name: string;
  passed: boolean;
  /** Attempts auto mode reported (0 when it never answered). */
  attempts: number;
  /** Refine and auto together. */
  tokens: Tokens;
  seconds: number;
  /** Why it failed (the step and its message, or the first difference); null when it passed. */
  failure: string | null;
  /** What auto mode adapted locally (seed-style scripts), in order. */
  adapted: string[];
}

export interface EvalSummary {
  tasks: number;
  passed: number;
  /** Percent of tasks passed. */
  successRate: number;
  meanAttempts: number;
  tokens: Tokens;
  /** All tokens (input, output, cache read) divided by the number of tasks. */
  meanTokensPerTask: number;
  p50Seconds: number;
}

export interface EvalOptions {
  /** The API root, `http://host:port` followed by API_PREFIX (`/api/v1`). */
  apiBase: string;
  tasks: EvalTask[];
  /** Sent as `Authorization: Bearer` when the server wants a token. */
  token?: string;
  /** Called before each task (the fake model is scripted here). */
  beforeTask?: (task: EvalTask) => void | Promise<void>;
  /** One line per task and the summary go here. */
  log?: (line: string) => void;
  /** A task taking longer fails with a timeout (default 600 s). */
  taskTimeoutMs?: number;
}

type SseEvent = Record<string, unknown>;

class StepFailed extends Error {}

const noTokens = (): Tokens => ({ input: 0, output: 0, cacheRead: 0 });

function addUsage(tokens: Tokens, usage: unknown): void {
  if (!usage || typeof usage !== 'object') return;
  const u = usage as Record<string, unknown>;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  tokens.input += n(u.input_tokens);
  tokens.output += n(u.output_tokens);
  tokens.cacheRead += n(u.cache_read_input_tokens);
}

/** The `data:` events of an event stream (comments such as `: keep-alive` are skipped). */
export function parseEvents(raw: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of raw.split('\n\n')) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length))
      .join('\n');
    if (data) events.push(JSON.parse(data) as SseEvent);
  }
  return events;
}

class Client {
  constructor(
    private readonly apiBase: string,
    private readonly token: string | undefined,
    private readonly signal: AbortSignal,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  private async failed(step: string, res: Response): Promise<never> {
    const text = await res.text();
    let detail: unknown = text.slice(0, 300);
    try {
      detail = (JSON.parse(text) as { detail?: unknown }).detail ?? detail;
    } catch {
      // Not JSON: the text itself.
    }
    throw new StepFailed(`${step}: HTTP ${res.status} ${JSON.stringify(detail)}`);
  }

  async upload(task: EvalTask): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(task.inputPath)]), basename(task.inputPath));
    if (task.sheet) form.append('sheet', task.sheet);
    const res = await fetch(`${this.apiBase}/upload`, {
      method: 'POST',
      body: form,
      headers: this.headers(),
      signal: this.signal,
    });
    if (res.status !== 200) await this.failed('upload', res);
    return ((await res.json()) as { session_id: string }).session_id;
  }

  /** POSTs JSON to an SSE endpoint and returns every event once the stream has ended. */
  async stream(step: string, path: string, body: unknown): Promise<SseEvent[]> {
    const res = await fetch(`${this.apiBase}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: this.headers({ 'content-type': 'application/json' }),
      signal: this.signal,
    });
    if (res.status !== 200) await this.failed(step, res);
    const events = parseEvents(await res.text());
    const last = events[events.length - 1];
    if (!last || last.done !== true)
      throw new StepFailed(`${step}: the stream ended without a final event`);
    return events;
  }

  async downloadCsv(sessionId: string, jobId: string): Promise<string> {
    const res = await fetch(`${this.apiBase}/execute/${sessionId}/${jobId}/output?format=csv`, {
      headers: this.headers(),
      signal: this.signal,
    });
    if (res.status !== 200) await this.failed('download', res);
    return res.text();
  }

  async deleteSession(sessionId: string): Promise<void> {
    await fetch(`${this.apiBase}/sessions/${sessionId}`, {
      method: 'DELETE',
      headers: this.headers(),
    }).catch(() => undefined);
  }
}

/** Runs one task through the HTTP API: upload, refine, auto, download, compare. */
export async function runTask(
  task: EvalTask,
  options: Pick<EvalOptions, 'apiBase' | 'token' | 'taskTimeoutMs'>,
): Promise<TaskResult> {
  const started = performance.now();
  const result: TaskResult = {
    name: task.name,
    passed: false,
    attempts: 0,
    tokens: noTokens(),
    seconds: 0,
    failure: null,
    adapted: [],
  };
  const client = new Client(
    options.apiBase,
    options.token,
    AbortSignal.timeout(options.taskTimeoutMs ?? 600_000),
  );
  let sessionId: string | null = null;
  try {
    sessionId = await client.upload(task);
    const refine = await client.stream('refine', '/instructions/refine', {
      session_id: sessionId,
      raw_instructions: task.instructions,
    });
    const refineEnd = refine[refine.length - 1];
    addUsage(result.tokens, refineEnd.usage);
    if (typeof refineEnd.error === 'string') throw new StepFailed(`refine: ${refineEnd.error}`);
    const spec = refine
      .map((e) => (typeof e.chunk === 'string' ? e.chunk : ''))
      .join('')
      .trim();

    const auto = await client.stream('auto', '/codegen/auto', {
      session_id: sessionId,
      refined_prompt: spec,
    });
    // Each of an attempt's execute events repeats what was adapted before it ran.
    const adapted = new Map<string, string>();
    for (const e of auto)
      if (typeof e.adapted === 'string')
        adapted.set(`${String(e.attempt)}:${e.adapted}`, e.adapted);
    result.adapted.push(...adapted.values());
    const autoEnd = auto[auto.length - 1];
    addUsage(result.tokens, autoEnd.usage);
    result.attempts = typeof autoEnd.attempts === 'number' ? autoEnd.attempts : 0;
    if (autoEnd.status !== 'success' || typeof autoEnd.job_id !== 'string') {
      const why =
        typeof autoEnd.error === 'string' ? autoEnd.error : `ended ${String(autoEnd.status)}`;
      throw new StepFailed(`auto: ${why}`);
    }

    const csv = await client.downloadCsv(sessionId, autoEnd.job_id);
    const comparison = compareCsv(task.expectedCsv, csv, task.compare);
    result.passed = comparison.equal;
    result.failure = comparison.difference && `wrong output: ${comparison.difference}`;
  } catch (error) {
    const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
    if (!(error instanceof StepFailed) && !timedOut) throw error;
    result.failure = error instanceof StepFailed ? error.message : 'timed out';
  } finally {
    if (sessionId) await client.deleteSession(sessionId);
    result.seconds = (performance.now() - started) / 1000;
  }
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(results: TaskResult[]): EvalSummary {
  const tokens = noTokens();
  for (const r of results) {
    tokens.input += r.tokens.input;
    tokens.output += r.tokens.output;
    tokens.cacheRead += r.tokens.cacheRead;
  }
  const n = results.length;
  const passed = results.filter((r) => r.passed).length;
  return {
    tasks: n,
    passed,
    successRate: n ? (100 * passed) / n : 0,
    meanAttempts: n ? results.reduce((s, r) => s + r.attempts, 0) / n : 0,
    tokens,
    meanTokensPerTask: n ? (tokens.input + tokens.output + tokens.cacheRead) / n : 0,
    p50Seconds: percentile(
      results.map((r) => r.seconds),
      50,
    ),
  };
}

export function formatResult(r: TaskResult): string {
  const line =
    `${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(34)} attempts ${r.attempts}  ` +
    `tokens in ${r.tokens.input} out ${r.tokens.output} cache-read ${r.tokens.cacheRead}  ` +
    `${r.seconds.toFixed(1)} s`;
  const notes = [...r.adapted.map((a) => `adapted: ${a}`), ...(r.failure ? [r.failure] : [])];
  return notes.length ? `${line}  (${notes.join('; ')})` : line;
}

export function formatSummary(s: EvalSummary): string {
  return (
    `summary: ${s.tasks} tasks, ${s.passed} passed, success rate ${s.successRate.toFixed(1)}%, ` +
    `mean attempts ${s.meanAttempts.toFixed(2)}, tokens in ${s.tokens.input} out ${s.tokens.output} ` +
    `cache-read ${s.tokens.cacheRead} (mean ${Math.round(s.meanTokensPerTask)} per task), ` +
    `p50 ${s.p50Seconds.toFixed(1)} s per task`
  );
}

/** Runs the tasks one after another and prints a line each, then the summary. */
export async function runEval(
  options: EvalOptions,
): Promise<{ results: TaskResult[]; summary: EvalSummary }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const results: TaskResult[] = [];
  for (const task of options.tasks) {
    await options.beforeTask?.(task);
    const result = await runTask(task, options);
    results.push(result);
    log(formatResult(result));
  }
  const summary = summarize(results);
  log(formatSummary(summary));
  return { results, summary };
}
