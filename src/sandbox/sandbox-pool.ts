import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ServiceUnavailable } from '../common/errors/domain-errors';
import { AppLogger } from '../common/logging/app-logger.service';
import { sandboxConfig } from '../config/configuration';
import { limitsArgument, RunnerProcess } from './runner-process';
import { POOL_RETRY_MAX_MS, POOL_RETRY_MIN_MS } from './sandbox-limits';
import { SandboxProvider } from './sandbox-provider';
import { SandboxStatusService } from './sandbox-status.service';
import { SandboxWorkspace } from './sandbox-workspace';

/**
 * Keeps SANDBOX_POOL_SIZE sandboxes started ahead: each has imported pandas and
 * waits for exactly one job, then exits. Same launch as a cold start, so the same
 * isolation; refilled in the background. Also the owner of every live sandbox, so
 * shutdown can kill them all.
 */
@Injectable()
export class SandboxPool implements OnModuleInit, BeforeApplicationShutdown {
  private readonly idle: RunnerProcess[] = [];
  private readonly live = new Set<RunnerProcess>();
  private closed = false;
  private retryDelayMs = POOL_RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
    private readonly provider: SandboxProvider,
    private readonly workspace: SandboxWorkspace,
    private readonly status: SandboxStatusService,
    private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    this.refill();
  }

  /** A sandbox for one job: a warm one when there is one, else a cold start. */
  acquire(): RunnerProcess {
    if (this.closed) throw new ServiceUnavailable('The server is shutting down');
    let runner: RunnerProcess | undefined;
    while ((runner = this.idle.shift()) && !runner.alive) runner = undefined;
    runner ??= this.start();
    setImmediate(() => this.refill());
    return runner;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Sandboxes that were handed a job and have not exited yet. */
  get busyCount(): number {
    return this.live.size - this.idle.length;
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

  private start(): RunnerProcess {
    const dir = this.workspace.createJobDir();
    const runner = new RunnerProcess(
      this.provider.launch({
        script: 'runner.py',
        args: [limitsArgument(this.cfg, 'job')],
        inputDir: dir,
      }),
      this.cfg,
    );
    this.live.add(runner);
    void runner.exited.then(async () => {
      this.live.delete(runner);
      await this.workspace.removeJobDir(dir);
      const idleAt = this.idle.indexOf(runner);
      if (idleAt >= 0 && !this.closed) {
        this.idle.splice(idleAt, 1);
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
    if (this.closed || this.status.refusal || this.retryTimer) return;
    while (this.idle.length < this.cfg.poolSize) {
      const runner = this.start();
      this.idle.push(runner);
      runner.ready.then(
        () => (this.retryDelayMs = POOL_RETRY_MIN_MS),
        () => undefined,
      );
    }
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
