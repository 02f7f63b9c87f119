import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CodeRejected, DomainError, WorkNotAccepted } from '../../common/errors/domain-errors';
import { aiConfig } from '../../config/configuration';
import { ExecutionService } from '../../execution/execution.service';
import { JobRecord } from '../../execution/jobs/job';
import { usageBody } from '../../llm/ai-stream-event';
import { LlmClient, LlmError, LlmPrompt, TokenUsage } from '../../llm/llm-client';
import { SandboxStatusProvider } from '../../sandbox';
import { DataSource } from '../../execution/data-source';
import { Session } from '../../sessions/session';
import { CodeStreamCleaner } from '../code-stream-cleaner';
import { CodegenService } from '../codegen.service';
import { AutoModeEvent } from './auto-mode-event';
import { repairLocally } from './local-repairs';

/** The sentence a job ends with when the client leaves the auto-mode stream. */
export const CLIENT_GONE_REASON = 'cancelled: the client closed the auto-mode stream';

/** What of a failed job's output the fix prompt quotes (the end, where the cause usually is). */
const STDOUT_TAIL_CHARS = 1500;
/** The error's share of the fix prompt's error block (MAX_ERROR_MESSAGE_CHARS in all). */
const ERROR_SHARE_CHARS = 3000;

export interface AutoModeRequest {
  sessionId: string;
  spec: string;
  /** 1..5; AUTO_MAX_ATTEMPTS when absent. */
  maxAttempts?: number;
  /** Work on this successful job's output instead of the upload (chained steps). */
  sourceJobId?: string | null;
}

interface Totals {
  usage: TokenUsage;
  /** The tokens the budget counts: input plus output. */
  spent: number;
}

/** Why an attempt failed, as the next fix prompt tells the model. */
interface Failure {
  /** For the give-up event. */
  message: string;
  /** For the fix prompt: the error, and the end of what the code printed. */
  forModel: string;
}

/**
 * Auto mode (POST codegen/auto): generate the module, run it as an ordinary job of the
 * session, and on failure ask the model to fix it with the error, the end of its stdout
 * and the data context, up to max_attempts and AUTO_MAX_TOKENS. One model call per
 * attempt; local repairs (local-repairs.ts) before each run.
 */
@Injectable()
export class AutoModeService {
  constructor(
    @Inject(aiConfig.KEY) private readonly ai: ConfigType<typeof aiConfig>,
    private readonly codegen: CodegenService,
    private readonly executions: ExecutionService,
    private readonly sandbox: SandboxStatusProvider,
    private readonly llm: LlmClient,
  ) {}

  /**
   * Checks now what can fail with a status: SessionNotFound, JobNotFound or
   * OutputNotAvailable for `sourceJobId` (404), ModelUnavailable or WorkNotAccepted (503).
   * Every attempt's prompt and job work on the same data (the upload, or that output). The events start when iterated; aborting `signal` (the client
   * left) aborts the model call and cancels the running job (`cancelled: ...`).
   */
  async run(request: AutoModeRequest, signal: AbortSignal): Promise<AsyncIterable<AutoModeEvent>> {
    const { session, source } = await this.executions.dataSource(
      request.sessionId,
      request.sourceJobId ?? null,
    );
    this.llm.ensureReady();
    const refusal = this.sandbox.refusal;
    if (refusal) throw new WorkNotAccepted(refusal);
    return this.attempts(session, source, request, signal);
  }

  private async *attempts(
    session: Session,
    source: DataSource,
    request: AutoModeRequest,
    signal: AbortSignal,
  ): AsyncGenerator<AutoModeEvent> {
    const maxAttempts = request.maxAttempts ?? this.ai.autoMaxAttempts;
    const totals: Totals = {
      usage: {
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationInputTokens: 0,
        cacheReadInputTokens: 0,
      },
      spent: 0,
    };
    let code = '';
    let jobId: string | null = null;
    let failure: Failure | null = null;
    let running: string | null = null;
    const giveUp = (error: string, attempts: number): AutoModeEvent => ({
      error,
      done: true,
      status: 'error',
      job_id: jobId,
      attempts,
      code,
      usage: usageBody(totals.usage),
    });

    try {
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        if (failure && totals.spent >= this.ai.autoMaxTokens) {
          yield giveUp(
            `Gave up after ${attempt - 1} attempt${attempt - 1 === 1 ? '' : 's'}: the token budget ` +
              `of ${this.ai.autoMaxTokens} tokens (AUTO_MAX_TOKENS) is spent (${totals.spent} ` +
              `input and output tokens used). The last attempt failed with: ${failure.message}`,
            attempt - 1,
          );
          return;
        }
        const phase = failure ? 'fix' : 'generate';
        const prompt = failure
          ? await this.codegen.fixPrompt(source, code, failure.forModel)
          : await this.codegen.generatePrompt(source, request.spec);
        if (signal.aborted) return;

        const answer: { raw: string; cleaned: string } = { raw: '', cleaned: '' };
        try {
          for await (const chunk of this.write(phase, prompt, answer, totals, signal))
            yield { chunk, done: false, phase, attempt };
        } catch (error) {
          if (!(error instanceof LlmError)) throw error;
          yield giveUp(error.message, attempt);
          return;
        }
        if (signal.aborted) return;

        const repair = repairLocally(answer.cleaned, answer.raw);
        code = repair.code;
        const adapted = repair.adapted.length ? { adapted: repair.adapted.join('; ') } : {};
        try {
          running = await this.executions.submit(session.id, code, source.jobId);
        } catch (error) {
          if (!(error instanceof CodeRejected)) {
            if (error instanceof DomainError) yield giveUp(error.message, attempt);
            else throw error;
            return;
          }
          const violations = error.violations.join('\n');
          yield {
            done: false,
            phase: 'check',
            attempt,
            status: 'error',
            error_message: violations,
            ...adapted,
          };
          failure = {
            message: `the static check refused the code: ${error.violations.join('; ')}`,
            forModel: `The sandbox's static check refused the module before it ran:\n${violations}`,
          };
          if (attempt === maxAttempts) yield giveUp(this.lastWords(attempt, failure), attempt);
          continue;
        }
        jobId = running;
        let ended: JobRecord | null = null;
        try {
          for await (const job of this.executions.watch(session.id, running, signal)) {
            yield {
              done: false,
              phase: 'execute',
              attempt,
              job_id: job.id,
              status: job.status,
              error_message: job.errorMessage,
              ...adapted,
            };
            ended = job;
          }
        } catch (error) {
          // The session ended meanwhile, and its jobs with it.
          if (!(error instanceof DomainError)) throw error;
          running = null;
          yield giveUp(error.message, attempt);
          return;
        }
        if (signal.aborted || !ended) return;
        running = null;
        if (ended.status === 'success') {
          yield {
            done: true,
            status: 'success',
            job_id: ended.id,
            attempts: attempt,
            code,
            usage: usageBody(totals.usage),
          };
          return;
        }
        failure = jobFailure(ended);
        if (attempt === maxAttempts) yield giveUp(this.lastWords(attempt, failure), attempt);
      }
    } finally {
      if (signal.aborted && running) await this.executions.cancel(running, CLIENT_GONE_REASON);
    }
  }

  /** One model call: yields the cleaned text as it comes, fills `answer`, adds the usage. */
  private async *write(
    purpose: 'generate' | 'fix',
    prompt: LlmPrompt,
    answer: { raw: string; cleaned: string },
    totals: Totals,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    const cleaner = new CodeStreamCleaner();
    const events = this.llm.stream(
      { purpose, prompt, maxTokens: this.ai.codegenMaxTokens },
      signal,
    );
    for await (const event of events) {
      const text = event.type === 'text' ? cleaner.push(event.text) : cleaner.end();
      if (event.type === 'text') answer.raw += event.text;
      else addUsage(totals, event.usage);
      if (text) {
        answer.cleaned += text;
        yield text;
      }
    }
  }

  private lastWords(attempts: number, failure: Failure): string {
    return (
      `Gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} (max_attempts): ` +
      `the last one failed with: ${failure.message}`
    );
  }
}

function addUsage(totals: Totals, usage: TokenUsage): void {
  const sum = totals.usage;
  sum.inputTokens += usage.inputTokens;
  sum.outputTokens += usage.outputTokens;
  sum.cacheCreationInputTokens += usage.cacheCreationInputTokens;
  sum.cacheReadInputTokens += usage.cacheReadInputTokens;
  totals.spent = sum.inputTokens + sum.outputTokens;
}

/** A failed job as the fix prompt tells it: the error, then the end of its stdout. */
function jobFailure(job: JobRecord): Failure {
  const message = job.errorMessage ?? 'the job failed without a message';
  const error =
    message.length > ERROR_SHARE_CHARS ? `${message.slice(0, ERROR_SHARE_CHARS)}…` : message;
  const stdout = job.stdout.trimEnd();
  const tail = stdout.length > STDOUT_TAIL_CHARS ? `…${stdout.slice(-STDOUT_TAIL_CHARS)}` : stdout;
  return {
    message,
    forModel: tail ? `${error}\n\nThe end of what the module printed (stdout):\n${tail}` : error,
  };
}
