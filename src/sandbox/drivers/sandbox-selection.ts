import {
  RunnerLimits,
  RunnerProcess,
  RunnerVersions,
  limitsArgument,
} from '../runner/runner-process';
import { SANDBOX_START_TIMEOUT_MS } from '../sandbox-limits';
import { SandboxProvider } from './sandbox-provider';

/** The isolation chosen at start, what the self-test found, and whether jobs may run. */
export interface SandboxSelection {
  provider: SandboxProvider;
  versions: RunnerVersions | null;
  /** Why jobs are refused (weak isolation in production, no working runner); null when they run. */
  refusal: string | null;
}

export interface SelectionSettings {
  isolation: 'auto' | 'bwrap' | 'process';
  allowWeakIsolation: boolean;
  isProduction: boolean;
}

export interface SelectionDeps {
  bubblewrap: () => Promise<SandboxProvider>;
  processIsolation: () => SandboxProvider;
  /** Starts the runner once in the provider; resolves with versions only if all layers work. */
  probe: (provider: SandboxProvider) => Promise<RunnerVersions>;
  warn: (message: string) => void;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Start-up self-test of the runner: it must import pandas inside the provider and
 * its seccomp filter must stop fork(). Any failure throws.
 */
export async function probeRunner(
  provider: SandboxProvider,
  limits: RunnerLimits,
): Promise<RunnerVersions> {
  const runner = new RunnerProcess(
    provider.launch({ script: 'runner.py', args: [limitsArgument(limits, 'probe')] }),
    limits,
  );
  const rest = await runner.finish(SANDBOX_START_TIMEOUT_MS);
  const versions = await runner.ready;
  const line = rest.toString('utf8').split('\n', 1)[0];
  let probe: { seccomp?: unknown } = {};
  try {
    probe = JSON.parse(line) as { seccomp?: unknown };
  } catch {
    // reported below
  }
  if (probe.seccomp !== true) throw new Error('the seccomp filter did not stop fork()');
  return versions;
}

/**
 * Picks the isolation: `auto` uses bubblewrap when it works here and otherwise falls
 * back to process isolation with a loud warning; `bwrap` fails closed; production
 * refuses jobs under process isolation unless the operator allowed it.
 */
export async function selectSandbox(
  settings: SelectionSettings,
  deps: SelectionDeps,
): Promise<SandboxSelection> {
  if (settings.isolation !== 'process') {
    try {
      const provider = await deps.bubblewrap();
      return { provider, versions: await deps.probe(provider), refusal: null };
    } catch (error) {
      if (settings.isolation === 'bwrap') {
        throw new Error(
          `SANDBOX_ISOLATION=bwrap, but bubblewrap does not work here: ${messageOf(error)}`,
        );
      }
      deps.warn(
        `bubblewrap is not usable here (${messageOf(error)}); falling back to process isolation`,
      );
    }
  }
  const provider = deps.processIsolation();
  let versions: RunnerVersions | null = null;
  let refusal: string | null = null;
  try {
    versions = await deps.probe(provider);
  } catch (error) {
    refusal = `no working Python sandbox: ${messageOf(error)}`;
  }
  deps.warn(
    'WEAK SANDBOX ISOLATION: generated code runs as a plain process (rlimits, seccomp and runner ' +
      'checks only, no namespaces, host files readable). Use a host where bubblewrap works.',
  );
  if (!refusal && settings.isProduction && !settings.allowWeakIsolation) {
    refusal =
      'code execution is disabled: only process isolation is available and production requires ' +
      'bubblewrap (set SANDBOX_ALLOW_WEAK_ISOLATION=true to accept weak isolation)';
  }
  return { provider, versions, refusal };
}
