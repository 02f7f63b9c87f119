import { UsageBody } from '../../llm/ai-stream-event';
import { JobStatus } from '../../execution/jobs/job';

/** The step of auto mode an event belongs to. */
export type AutoPhase = 'generate' | 'fix' | 'check' | 'execute';

/**
 * Auto mode's server-sent events (api.md, "Auto mode"): the contract's chunk, done and
 * error events with the additive `phase`, `attempt`, `job_id`, `status` fields. Property
 * order is the order the contract shows.
 */
export type AutoModeEvent =
  /** Attempt N's module as the model writes it (generate for 1, fix after). */
  | { chunk: string; done: false; phase: 'generate' | 'fix'; attempt: number }
  /** The static check refused attempt N's module: no job was made. */
  | {
      done: false;
      phase: 'check';
      attempt: number;
      status: 'error';
      error_message: string;
      adapted?: string;
    }
  /** Attempt N's job changed status. `adapted`: the local repairs made before it ran. */
  | {
      done: false;
      phase: 'execute';
      attempt: number;
      job_id: string;
      status: JobStatus;
      error_message: string | null;
      adapted?: string;
    }
  | {
      done: true;
      status: 'success';
      job_id: string;
      attempts: number;
      code: string;
      usage: UsageBody;
    }
  /** Gave up: `error` says why; `job_id` is the last job (null when none ran). */
  | {
      error: string;
      done: true;
      status: 'error';
      job_id: string | null;
      attempts: number;
      code: string;
      usage: UsageBody;
    };
