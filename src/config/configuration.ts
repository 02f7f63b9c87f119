import { ConfigObject, registerAs } from '@nestjs/config';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { EnvironmentVariables } from './environment';
import { environment } from './load-environment';

/**
 * A typed config area read from the process's validated environment; `fromEnvironment`
 * builds the same values from given variables (the tests hand each app its own).
 */
function configArea<T extends ConfigObject>(
  token: string,
  fromEnvironment: (e: EnvironmentVariables) => T,
) {
  return Object.assign(
    registerAs(token, () => fromEnvironment(environment())),
    { fromEnvironment },
  );
}

/** Typed config areas; inject with `@Inject(appConfig.KEY) cfg: ConfigType<typeof appConfig>`. */
export const appConfig = configArea('app', (e) => {
  return {
    env: e.APP_ENV,
    isProduction: e.APP_ENV === 'production',
    version: e.APP_VERSION,
    apiPrefix: e.API_PREFIX,
    host: e.HOST,
    port: e.PORT,
    allowedOrigins: e.ALLOWED_ORIGINS,
  };
});

export const storageConfig = configArea('storage', (e) => {
  return {
    inboundDir: resolve(e.INBOUND_DIR),
    tempDir: resolve(e.TEMP_DIR),
    logDir: resolve(e.LOG_DIR),
  };
});

/** Storage budgets in bytes: one session's (upload, cached input, outputs) and all sessions'. */
export const budgetConfig = configArea('budget', (e) => {
  return { sessionMaxBytes: e.SESSION_MAX_BYTES, storageMaxBytes: e.STORAGE_MAX_BYTES };
});

export const duckdbConfig = configArea('duckdb', (e) => {
  return { memoryLimitMb: e.DUCKDB_MEMORY_LIMIT_MB, threads: e.DUCKDB_THREADS };
});

export const uploadConfig = configArea('upload', (e) => {
  return {
    maxBytes: e.MAX_UPLOAD_SIZE_MB * 1024 * 1024,
    allowedExtensions: e.ALLOWED_EXTENSIONS.map((x) => x.toLowerCase()),
    xlsxParseTimeoutMs: e.XLSX_PARSE_TIMEOUT_SECONDS * 1000,
    xlsxParseMaxMemoryMb: e.XLSX_PARSE_MAX_MEMORY_MB,
    xlsxMaxUncompressedBytes: e.XLSX_MAX_UNCOMPRESSED_MB * 1024 * 1024,
    xlsxMaxConcurrentParses: e.XLSX_MAX_CONCURRENT_PARSES,
    xlsxMaxSharedStringsBytes: e.XLSX_MAX_SHARED_STRINGS_MB * 1024 * 1024,
    xlsxMaxCellTextBytes: e.XLSX_MAX_CELL_TEXT_MB * 1024 * 1024,
  };
});

export const sessionConfig = configArea('session', (e) => {
  return {
    ttlMs: e.SESSION_TTL_SECONDS * 1000,
    rowsPageMaxLimit: e.ROWS_PAGE_MAX_LIMIT,
    maxPerClient: e.MAX_SESSIONS_PER_CLIENT,
  };
});

export const sandboxConfig = configArea('sandbox', (e) => {
  return {
    isolation: e.SANDBOX_ISOLATION as 'auto' | 'bwrap' | 'process',
    allowWeakIsolation: e.SANDBOX_ALLOW_WEAK_ISOLATION,
    python: e.SANDBOX_PYTHON,
    timeoutMs: e.SANDBOX_TIMEOUT_SECONDS * 1000,
    maxMemoryMb: e.SANDBOX_MAX_MEMORY_MB,
    maxOutputRows: e.SANDBOX_MAX_OUTPUT_ROWS,
    maxOutputBytes: e.MAX_OUTPUT_BYTES,
    maxConcurrency: e.SANDBOX_MAX_CONCURRENCY || cpus().length,
    poolSize: e.SANDBOX_POOL_SIZE,
    previewRowCount: e.PREVIEW_ROW_COUNT,
    scratchBytes: e.SANDBOX_SCRATCH_MB * 1024 * 1024,
    maxResultBytes: e.SANDBOX_MAX_RESULT_MB * 1024 * 1024,
    maxQueuedJobs: e.SANDBOX_MAX_QUEUED_JOBS,
    maxQueuedJobsPerSession: e.MAX_QUEUED_JOBS_PER_SESSION,
    maxQueuedJobsPerClient: e.MAX_QUEUED_JOBS_PER_CLIENT,
  };
});

/** `apiKey`, `baseUrl` and `model` are those of the provider LLM_PROVIDER selects. */
export const aiConfig = configArea('ai', (e) => {
  const openai = e.LLM_PROVIDER === 'openai';
  return {
    provider: e.LLM_PROVIDER,
    apiKey: openai ? e.OPENAI_API_KEY : e.ANTHROPIC_API_KEY,
    /** The variable `apiKey` comes from, for messages that say what to set. */
    apiKeyVariable: openai ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY',
    baseUrl: openai ? e.OPENAI_BASE_URL : e.ANTHROPIC_BASE_URL,
    model: openai ? e.OPENAI_MODEL : e.ANTHROPIC_MODEL,
    refineMaxTokens: e.REFINE_MAX_TOKENS,
    codegenMaxTokens: e.CODEGEN_MAX_TOKENS,
    /** Set only to be reported as ignored; see AnthropicLlmClient. */
    temperature: e.AI_TEMPERATURE,
    requestTimeoutMs: e.AI_REQUEST_TIMEOUT_SECONDS * 1000,
    maxRetries: e.AI_MAX_RETRIES,
    maxStreamsPerClient: e.MAX_STREAMS_PER_CLIENT,
    /** Auto mode: the default max_attempts, and the tokens (input + output) per request. */
    autoMaxAttempts: e.AUTO_MAX_ATTEMPTS,
    autoMaxTokens: e.AUTO_MAX_TOKENS,
  };
});

export const loggingConfig = configArea('logging', (e) => {
  const level = ({ warning: 'warn', critical: 'fatal' } as Record<string, string>)[e.LOG_LEVEL];
  return {
    level: (level ?? e.LOG_LEVEL) as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    dir: resolve(e.LOG_DIR),
    maxBytes: e.LOG_MAX_BYTES,
    backupCount: e.LOG_BACKUP_COUNT,
    stdout: e.LOG_STDOUT,
    /** Values that must never be written to a log line. */
    secrets: [
      e.ANTHROPIC_API_KEY,
      e.OPENAI_API_KEY,
      ...e.API_AUTH_TOKEN,
      redisPassword(e.REDIS_URL),
    ].filter((s) => s.length >= 8),
  };
});

/** Who may call (bearer tokens), how often (per client), and how a stop drains requests. */
export const httpConfig = configArea('http', (e) => {
  return {
    authTokens: e.API_AUTH_TOKEN,
    metricsAuth: e.METRICS_AUTH,
    trustProxy: e.TRUST_PROXY,
    rateLimit: {
      windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
      aiMax: e.RATE_LIMIT_AI_MAX,
      executeMax: e.RATE_LIMIT_EXECUTE_MAX,
      uploadMax: e.RATE_LIMIT_UPLOAD_MAX,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
  };
});

/** Bounds on what previews and row pages hold (api.md "Bounds"); downloads are never cut. */
export const previewConfig = configArea('preview', (e) => {
  return {
    maxCellChars: e.PREVIEW_MAX_CELL_CHARS,
    maxBytes: e.PREVIEW_MAX_BYTES,
    rowsPageMaxBytes: e.ROWS_PAGE_MAX_BYTES,
  };
});

/** How downloads are written: CSV formula escaping (OWASP CSV injection) when not asked per request. */
export const downloadConfig = configArea('download', (e) => {
  return { escapeFormulas: e.DOWNLOAD_ESCAPE_FORMULAS };
});

/** Where jobs queue and state lives: this process (embedded) or Redis (distributed). */
export const queueConfig = configArea('queue', (e) => {
  return {
    redisUrl: e.REDIS_URL ?? null,
    keyPrefix: e.REDIS_KEY_PREFIX,
    stallMs: e.WORKER_STALL_SECONDS * 1000,
  };
});

export const allConfigs = [
  appConfig,
  storageConfig,
  budgetConfig,
  duckdbConfig,
  uploadConfig,
  sessionConfig,
  sandboxConfig,
  aiConfig,
  loggingConfig,
  httpConfig,
  downloadConfig,
  previewConfig,
  queueConfig,
];

/** The password in a redis:// URL (never logged), or ''. */
function redisPassword(url: string | undefined): string {
  if (!url) return '';
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
