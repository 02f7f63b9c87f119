import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Token counts of one model call, as the LLM port reports them. */
export interface ModelTokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
}

const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const JOB_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

/**
 * The service's Prometheus metrics. One registry per application (not prom-client's global
 * one), so several apps in one process (the tests) do not collide. Other modules call the
 * small methods below and never touch prom-client.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request arriving to its response ending, by route pattern and status.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly jobsFinished = new Counter({
    name: 'execution_jobs_finished_total',
    help: 'Jobs that ran, by final status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly jobDuration = new Histogram({
    name: 'execution_job_duration_seconds',
    help: 'Time a job took from leaving the queue to its final status.',
    labelNames: ['status'] as const,
    buckets: JOB_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly uploadBytes = new Counter({
    name: 'upload_bytes_total',
    help: 'Bytes of uploaded files that became sessions, by format.',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  private readonly uploadRows = new Counter({
    name: 'upload_rows_total',
    help: 'Rows of uploaded files that became sessions, by format.',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  private readonly modelTokensCounter = new Counter({
    name: 'model_tokens_total',
    help: 'Tokens of finished model calls, by kind (input, output, cache_read, cache_creation).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly modelErrors = new Counter({
    name: 'model_errors_total',
    help: 'Failed model calls, by kind of failure.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Read when Prometheus scrapes, so nobody has to push them on every change. */
  private queue: { readonly size: number } = { size: 0 };
  private pool: { readonly idleCount: number } = { idleCount: 0 };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('execution_queue_depth', 'Jobs waiting for a sandbox.', () => this.queue.size);
    gauge('sandbox_warm_ready', 'Sandboxes started ahead and idle.', () => this.pool.idleCount);
  }

  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** The job queue (its waiting jobs). */
  watchExecution(queue: { readonly size: number }): void {
    this.queue = queue;
  }

  /** The sandbox pool (its idle, started sandboxes), in the process that runs jobs. */
  watchSandboxPool(pool: { readonly idleCount: number }): void {
    this.pool = pool;
  }

  jobFinished(status: string, durationMs: number): void {
    this.jobsFinished.inc({ status });
    this.jobDuration.observe({ status }, durationMs / 1000);
  }

  uploadIngested(extension: string, bytes: number, rows: number): void {
    const format = extension.replace(/^\./, '').toLowerCase();
    this.uploadBytes.inc({ format }, bytes);
    this.uploadRows.inc({ format }, rows);
  }

  modelTokens(usage: ModelTokenCounts): void {
    this.modelTokensCounter.inc({ kind: 'input' }, usage.inputTokens);
    this.modelTokensCounter.inc({ kind: 'output' }, usage.outputTokens);
    this.modelTokensCounter.inc({ kind: 'cache_read' }, usage.cacheReadInputTokens);
    this.modelTokensCounter.inc({ kind: 'cache_creation' }, usage.cacheCreationInputTokens);
  }

  modelError(kind: string): void {
    this.modelErrors.inc({ kind });
  }

  /** The Prometheus text exposition and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
