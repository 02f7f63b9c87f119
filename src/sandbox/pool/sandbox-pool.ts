import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { WorkNotAccepted } from '../../common/errors/domain-errors';
import { AppLogger } from '../../common/logging/app-logger.service';
import { sandboxConfig } from '../../config/configuration';
import { Metrics } from '../../metrics/metrics.service';
import { limitsArgument, RunnerProcess } from '../runner/runner-process';
import { join } from 'node:path';
import { POOL_RETRY_MAX_MS, POOL_RETRY_MIN_MS, SANDBOX_INPUT_FILE } from '../sandbox-limits';
import { SandboxProvider } from '../drivers/sandbox-provider';
import { WarmPool } from './warm-pool';
import { SandboxStatusProvider } from '../sandbox-status';
import { placeInput, SandboxWorkspace } from '../sandbox-workspace';

/**
 * Keeps SANDBOX_POOL_SIZE sandboxes started ahead: each has imported pandas and
 * waits for exactly one job, then exits. Same launch as a cold start, so the same
 * isolation; refilled in the background.
 *
 * After a job it also primes one sandbox for the job's key (the caller's name for its
 * data, a session id; up to SANDBOX_POOL_SIZE keys, least recently used first out):
 * launched the same way, with that input mounted from the start and read before the
 * job arrives, since "fix the code, run again" on the same data is the common loop.
 *
 * The pool owns every live sandbox, so shutdown can kill them all.
 */
@Injectable()
export class SandboxPool implements OnModuleInit, BeforeApplicationShutdown {
  private readonly idle: WarmPool<RunnerProcess>;
  /** Key to its primed sandbox, least recently used first. */
  private readonly primed = new Map<string, RunnerProcess>();
  /** Keys whose priming is under way; `forget` removes a key so its priming gives up. */
  private readonly priming = new Map<string, object>();
  private readonly live = new Set<RunnerProcess>();
  private closed = false;
  private retryDelayMs = POOL_RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    private readonly provider: SandboxProvider,
    private readonly workspace: SandboxWorkspace,
    private readonly status: SandboxStatusProvider,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.idle = new WarmPool({
      size: cfg.poolSize,
      start: () => {
        const runner = this.start();
        runner.ready.then(
          () => (this.retryDelayMs = POOL_RETRY_MIN_MS),
          () => undefined,
        );
        return runner;
      },
      usable: (runner) => runner.alive,
      mayStart: () => !this.closed && !this.status.refusal && !this.retryTimer,
    });
    metrics.watchSandboxPool(this);
  }

  onModuleInit(): void {
    this.refill();
  }

  /**
   * A sandbox for one job: the key's primed one if it is ready, else a warm one,
   * else a cold start. Unless `inputPlaced` is set, the caller puts the input at
   * `hostInputFile` before running the job.
   */
  acquire(key?: string): RunnerProcess {
    if (this.closed) throw new WorkNotAccepted('The server is shutting down');
    const primed = key === undefined ? undefined : this.primed.get(key);
    if (primed?.alive && primed.preloaded && key !== undefined) {
      this.primed.delete(key);
      return primed;
    }
    const runner = this.idle.take() ?? this.start();
    // Importing pandas takes ~0.35 s of CPU: top the pool up when the job is done rather
    // than while it runs, unless nothing warm is left for the next one.
    if (this.idle.size === 0) setImmediate(() => this.refill());
    else void runner.exited.then(() => this.refill());
    return runner;
  }

  /** Starts (or keeps) a sandbox that reads this key's input ahead of its next job. */
  async prime(key: string, inputFile: string): Promise<void> {
    if (this.closed || this.status.refusal || this.cfg.poolSize === 0) return;
    const existing = this.primed.get(key);
    this.primed.delete(key);
    if (existing?.alive) {
      this.primed.set(key, existing);
      return;
    }
    const attempt = {};
    this.priming.set(key, attempt);
    const dir = this.workspace.createJobDir();
    try {
      await placeInput(inputFile, join(dir, SANDBOX_INPUT_FILE));
    } catch (error) {
      if (this.priming.get(key) === attempt) this.priming.delete(key);
      await this.workspace.removeJobDir(dir);
      throw error;
    }
    const current = this.priming.get(key) === attempt;
    if (current) this.priming.delete(key);
    if (this.closed || this.primed.has(key) || !current) {
      await this.workspace.removeJobDir(dir);
      return;
    }
    const preload = join(this.provider.sandboxInputDir(dir), SANDBOX_INPUT_FILE);
    const runner = this.start(dir, preload);
    runner.inputPlaced = true;
    this.primed.set(key, runner);
    for (const [oldest, stale] of this.primed) {
      if (this.primed.size <= this.cfg.poolSize) break;
      this.primed.delete(oldest);
      stale.stop('cancelled');
    }
  }

  /** The key's data is gone: its primed sandbox (or one being primed) goes. */
  forget(key: string): void {
    this.priming.delete(key);
    this.primed.get(key)?.stop('cancelled');
    this.primed.delete(key);
  }

  /** Sandboxes started ahead (the launcher has reported their process) and waiting for a job. */
  get idleCount(): number {
    return this.idle.items.filter((r) => r.pid !== undefined && r.alive).length;
  }

  /** Sandboxes that were handed a job and have not exited yet. */
  get busyCount(): number {
    return this.live.size - this.idle.size - this.primed.size;
  }

  /** The sandbox primed for a key, if any (for diagnostics and tests). */
  primedFor(key: string): { pid: number | undefined; ready: boolean } | null {
    const runner = this.primed.get(key);
    return runner ? { pid: runner.pid, ready: runner.preloaded } : null;
  }

  /** Process ids of every live sandbox (for diagnostics and tests). */
  pids(): number[] {
    return [...this.live].map((r) => r.pid).filter((pid): pid is number => pid !== undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const all = [...this.live];
    for (const runner of all) runner.stop('cancelled');
    await Promise.all(all.map((r) => r.exited));
  }

  private start(dir = this.workspace.createJobDir(), preload?: string): RunnerProcess {
    const runner = new RunnerProcess(
      this.provider.launch({
        script: 'runner.py',
        args: [limitsArgument(this.cfg, 'job', preload)],
        inputDir: dir,
      }),
      this.cfg,
    );
    this.live.add(runner);
    void runner.exited.then(async () => {
      this.live.delete(runner);
      for (const [key, primed] of this.primed) if (primed === runner) this.primed.delete(key);
      await this.workspace.removeJobDir(dir);
      if (this.idle.remove(runner) && !this.closed) {
        this.logger.warn(
          { msg: 'a pooled sandbox exited unused; refilling later', retry_ms: this.retryDelayMs },
          'SandboxPool',
        );
        this.scheduleRetry();
      }
    });
    return runner;
  }

  private refill(): void {
    this.idle.refill();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.refill();
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, POOL_RETRY_MAX_MS);
  }
}
