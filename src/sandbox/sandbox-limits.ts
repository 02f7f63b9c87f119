/**
 * Fixed properties of the sandbox: design decisions rather than operator settings
 * (those are in sandboxConfig). Changing one changes what the security tests cover.
 */

/** `nobody`: the uid sandboxes run as, inside and (when the server is root) outside. */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

/** RLIMIT_NOFILE: the runner needs stdio, the result pipe and a few library files. */
export const SANDBOX_MAX_OPEN_FILES = 64;
/** RLIMIT_NPROC: threads count too; seccomp already refuses new processes. */
export const SANDBOX_MAX_PROCESSES = 32;
/** RLIMIT_CPU allowance for importing pandas, on top of the job's timeout (the runner then lowers it). */
export const SANDBOX_STARTUP_CPU_SECONDS = 20;

/**
 * The only environment a sandbox gets. One thread per numeric library: each
 * OpenBLAS thread reserves ~139 MiB of address space against RLIMIT_AS.
 */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  PYTHONHASHSEED: '0',
  PYTHONDONTWRITEBYTECODE: '1',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
  NUMEXPR_MAX_THREADS: '1',
  MALLOC_ARENA_MAX: '2',
};

/** Where things appear inside a bubblewrap sandbox. */
export const SANDBOX_RUNNER_DIR = '/runner';
export const SANDBOX_INPUT_DIR = '/input';
export const SANDBOX_INPUT_FILE = 'input.bin';

/**
 * The optional function a module may define beside the entry point, `check(df, out)`,
 * that asserts what its output promises (api.md "Checks"); job.py calls it after transform.
 */
export const CHECK_FUNCTION = 'check';

/** The runner's "ready" line and result header are JSON lines; longer ones are refused. */
export const RESULT_HEADER_MAX_BYTES = 4 * 1024 * 1024;
/** As many columns as an upload may have (an XLSX sheet's 16,384), so `return df` works. */
export const OUTPUT_MAX_COLUMNS = 16_384;
export const OUTPUT_COLUMN_NAME_MAX_CHARS = 255;
/** Error messages shown to the person are cut to this. */
export const ERROR_MESSAGE_MAX_CHARS = 4000;
/** The checker's answer is small JSON; anything bigger is a fault. */
export const CHECKER_OUTPUT_MAX_BYTES = 1024 * 1024;

/** Waits after which a failed pool start is retried, doubling up to the maximum. */
export const POOL_RETRY_MIN_MS = 500;
export const POOL_RETRY_MAX_MS = 30_000;
/** How long a sandbox may take to import pandas and report ready (also the start-up self-test). */
export const SANDBOX_START_TIMEOUT_MS = 60_000;
/** The static check parses at most 50,000 characters; far less than this. */
export const CHECKER_TIMEOUT_MS = 10_000;
