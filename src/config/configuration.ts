import { registerAs } from '@nestjs/config';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { loadEnvironment } from './env-files.config';

/** Typed config areas; inject with `@Inject(appConfig.KEY) cfg: ConfigType<typeof appConfig>`. */
export const appConfig = registerAs('app', () => {
  const e = loadEnvironment();
  return {
    env: e.APP_ENV as 'development' | 'production' | 'test',
    isProduction: e.APP_ENV === 'production',
    version: e.APP_VERSION,
    apiPrefix: e.API_PREFIX,
    host: e.HOST,
    port: e.PORT,
    allowedOrigins: e.ALLOWED_ORIGINS,
  };
});

export const storageConfig = registerAs('storage', () => {
  const e = loadEnvironment();
  return {
    inboundDir: resolve(e.INBOUND_DIR),
    tempDir: resolve(e.TEMP_DIR),
    logDir: resolve(e.LOG_DIR),
  };
});

export const duckdbConfig = registerAs('duckdb', () => {
  const e = loadEnvironment();
  return { memoryLimitMb: e.DUCKDB_MEMORY_LIMIT_MB, threads: e.DUCKDB_THREADS };
});

export const uploadConfig = registerAs('upload', () => {
  const e = loadEnvironment();
  return {
    maxBytes: e.MAX_UPLOAD_SIZE_MB * 1024 * 1024,
    allowedExtensions: e.ALLOWED_EXTENSIONS.map((x) => x.toLowerCase()),
    xlsxParseTimeoutMs: e.XLSX_PARSE_TIMEOUT_SECONDS * 1000,
    xlsxParseMaxMemoryMb: e.XLSX_PARSE_MAX_MEMORY_MB,
    xlsxMaxUncompressedBytes: e.XLSX_MAX_UNCOMPRESSED_MB * 1024 * 1024,
    xlsxMaxConcurrentParses: e.XLSX_MAX_CONCURRENT_PARSES,
  };
});

export const sessionConfig = registerAs('session', () => {
  const e = loadEnvironment();
  return {
    ttlMs: e.SESSION_TTL_SECONDS * 1000,
    rowsPageMaxLimit: e.ROWS_PAGE_MAX_LIMIT,
  };
});

export const sandboxConfig = registerAs('sandbox', () => {
  const e = loadEnvironment();
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
  };
});

export const aiConfig = registerAs('ai', () => {
  const e = loadEnvironment();
  return {
    apiKey: e.ANTHROPIC_API_KEY,
    baseUrl: e.ANTHROPIC_BASE_URL,
    model: e.ANTHROPIC_MODEL,
    refineMaxTokens: e.REFINE_MAX_TOKENS,
    codegenMaxTokens: e.CODEGEN_MAX_TOKENS,
    temperature: e.AI_TEMPERATURE,
    requestTimeoutMs: e.AI_REQUEST_TIMEOUT_SECONDS * 1000,
    maxRetries: e.AI_MAX_RETRIES,
  };
});

export const loggingConfig = registerAs('logging', () => {
  const e = loadEnvironment();
  const level = ({ warning: 'warn', critical: 'fatal' } as Record<string, string>)[e.LOG_LEVEL];
  return {
    level: (level ?? e.LOG_LEVEL) as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    dir: resolve(e.LOG_DIR),
    maxBytes: e.LOG_MAX_BYTES,
    backupCount: e.LOG_BACKUP_COUNT,
    /** Values that must never be written to a log line. */
    secrets: [e.ANTHROPIC_API_KEY, ...e.API_AUTH_TOKEN].filter((s) => s.length >= 8),
  };
});

/** Who may call (bearer tokens), how often (per client), and how a stop drains requests. */
export const httpConfig = registerAs('http', () => {
  const e = loadEnvironment();
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
  };
});

export const allConfigs = [
  appConfig,
  storageConfig,
  duckdbConfig,
  uploadConfig,
  sessionConfig,
  sandboxConfig,
  aiConfig,
  loggingConfig,
  httpConfig,
];
