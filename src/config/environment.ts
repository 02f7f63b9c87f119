import { plainToInstance, Transform } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUTH_TOKEN_PATTERN,
  IsTrustProxy,
  toTokenList,
  toTrustProxy,
  TrustProxy,
} from './access-variables';

/** Parses a JSON list such as `["a","b"]`; anything else is kept so validation can report it. */
function jsonList({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value)) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};
const lower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

const appTmp = (name: string): string => join(tmpdir(), 'ai-code-builder', name);

/** `test` is the integration tests'; the other three are the seed's. */
export const APP_ENVIRONMENTS = ['development', 'staging', 'production', 'test'] as const;
export type AppEnvironment = (typeof APP_ENVIRONMENTS)[number];
export const LLM_PROVIDERS = ['anthropic', 'openai'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];
/** About a century: beyond it a date computed from the TTL stops being a valid Date. */
const MAX_SECONDS = 100 * 365 * 24 * 3600;
/** Variables without a default: an empty value means "not set". */
const OPTIONAL_VARIABLES = [
  'ENV_FILE_DIR',
  'ANTHROPIC_BASE_URL',
  'OPENAI_BASE_URL',
  'AI_TEMPERATURE',
  'REDIS_URL',
];

/**
 * Every variable the service reads, with its default and allowed range.
 * Values arrive as strings from the layered .env files and the process environment.
 */
export class EnvironmentVariables {
  /** Folder holding the .env files (default: the working directory); read before the files. */
  @IsOptional() @IsString() ENV_FILE_DIR?: string;
  @Transform(lower) @IsIn(APP_ENVIRONMENTS) APP_ENV: AppEnvironment = 'development';
  @IsString() @MinLength(1) APP_VERSION = '0.1.0';
  @Matches(/^\/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$/, { message: 'must look like /api/v1' })
  API_PREFIX = '/api/v1';
  @IsString() HOST = '0.0.0.0';
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 8000;
  @Transform(jsonList)
  @IsArray()
  @IsString({ each: true })
  ALLOWED_ORIGINS: string[] = ['http://localhost:3000', 'http://localhost:5173'];

  @Transform(toInt) @IsInt() @Min(1) @Max(10240) MAX_UPLOAD_SIZE_MB = 50;
  @Transform(jsonList)
  @IsArray()
  @Matches(/^\.[a-z0-9]+$/, { each: true, message: 'each must be like ".csv"' })
  ALLOWED_EXTENSIONS: string[] = ['.csv', '.xlsx'];
  @IsString() @MinLength(1) INBOUND_DIR = appTmp('inbound');
  @IsString() @MinLength(1) TEMP_DIR = appTmp('tmp');
  @Transform(toInt) @IsInt() @Min(60) @Max(MAX_SECONDS) SESSION_TTL_SECONDS = 3600;
  @Transform(toInt) @IsInt() @Min(256) @Max(1024 * 1024) DUCKDB_MEMORY_LIMIT_MB = 4096;
  /** 0 means DuckDB's default (one per CPU). */
  @Transform(toInt) @IsInt() @Min(0) @Max(256) DUCKDB_THREADS = 0;
  @Transform(toInt) @IsInt() @Min(1) @Max(600) XLSX_PARSE_TIMEOUT_SECONDS = 120;
  /** Heap of the child process that parses one workbook (Node's --max-old-space-size). */
  @Transform(toInt) @IsInt() @Min(64) @Max(16384) XLSX_PARSE_MAX_MEMORY_MB = 512;
  /** Cap on what an .xlsx may unpack to (sum of its ZIP entries), checked before parsing. */
  @Transform(toInt) @IsInt() @Min(1) @Max(65536) XLSX_MAX_UNCOMPRESSED_MB = 1024;
  /** Workbooks parsed at the same time; each parse may use XLSX_PARSE_MAX_MEMORY_MB. */
  @Transform(toInt) @IsInt() @Min(1) @Max(64) XLSX_MAX_CONCURRENT_PARSES = 2;
  /** Cap on what the shared-strings part (all text cells' text) unpacks to; it is held whole. */
  @Transform(toInt) @IsInt() @Min(1) @Max(65536) XLSX_MAX_SHARED_STRINGS_MB = 128;
  /** Cap on the sheet's cell text once shared strings are expanded (the table's CSV form), in MB. */
  @Transform(toInt) @IsInt() @Min(1) @Max(65536) XLSX_MAX_CELL_TEXT_MB = 256;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) ROWS_PAGE_MAX_LIMIT = 1000;
  /** Storage budget of one session: its upload, cached input and job outputs, in bytes. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(Number.MAX_SAFE_INTEGER)
  SESSION_MAX_BYTES = 2 * 1024 ** 3;
  /** Storage budget of all sessions together (and uploads in flight), in bytes. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(Number.MAX_SAFE_INTEGER)
  STORAGE_MAX_BYTES = 20 * 1024 ** 3;

  @Transform(toInt) @IsInt() @Min(1) @Max(3600) SANDBOX_TIMEOUT_SECONDS = 30;
  @Transform(toInt) @IsInt() @Min(64) @Max(65536) SANDBOX_MAX_MEMORY_MB = 512;
  @Transform(toInt) @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) SANDBOX_MAX_OUTPUT_ROWS =
    100_000;
  @Transform(toInt) @IsInt() @Min(1024) @Max(64 * 1024 * 1024) MAX_OUTPUT_BYTES = 1024 * 1024;
  @Transform(lower) @IsIn(['auto', 'bwrap', 'process']) SANDBOX_ISOLATION = 'auto';
  @Transform(toBool) @IsBoolean() SANDBOX_ALLOW_WEAK_ISOLATION = false;
  @IsString() @MinLength(1) SANDBOX_PYTHON = '/usr/bin/python3';
  /** 0 means "one per CPU". */
  @Transform(toInt) @IsInt() @Min(0) @Max(64) SANDBOX_MAX_CONCURRENCY = 0;
  @Transform(toInt) @IsInt() @Min(0) @Max(16) SANDBOX_POOL_SIZE = 2;
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000) PREVIEW_ROW_COUNT = 50;
  /** Previews and row pages cut text values longer than this (code points); downloads never. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) PREVIEW_MAX_CELL_CHARS = 10_000;
  /** A job's preview keeps the first rows whose JSON fits in this many bytes. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(1024 * 1024 * 1024) PREVIEW_MAX_BYTES = 1024 * 1024;
  /** A page of GET /sessions/{id}/rows holds rows while they fit in this many bytes (one at least). */
  @Transform(toInt) @IsInt() @Min(1024) @Max(1024 * 1024 * 1024) ROWS_PAGE_MAX_BYTES =
    16 * 1024 * 1024;
  /** Default of the CSV download's `escape_formulas`: prefix formula-like text cells with '. */
  @Transform(toBool) @IsBoolean() DOWNLOAD_ESCAPE_FORMULAS = false;
  /** Size cap of each sandbox's scratch tmpfs (its only writable place); counts as RAM. */
  @Transform(toInt) @IsInt() @Min(1) @Max(65536) SANDBOX_SCRATCH_MB = 64;
  /** Cap on the encoded DataFrame a job hands back; larger output kills the job. */
  @Transform(toInt) @IsInt() @Min(1) @Max(65536) SANDBOX_MAX_RESULT_MB = 512;
  /** Jobs waiting for a sandbox; beyond this, POST /execute answers 503. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000) SANDBOX_MAX_QUEUED_JOBS = 1000;
  /** Jobs of one session queued or running; beyond this, POST /execute answers 429. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000) MAX_QUEUED_JOBS_PER_SESSION = 10;
  /** Jobs of one client (all its sessions) waiting for a sandbox; beyond this, 429. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000) MAX_QUEUED_JOBS_PER_CLIENT = 100;

  @IsString() @MinLength(1) LOG_DIR = appTmp('logs');
  @Transform(lower)
  @IsIn(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'critical'])
  LOG_LEVEL = 'info';
  /** Also write log lines to stdout (the file in LOG_DIR is always written). */
  @Transform(toBool) @IsBoolean() LOG_STDOUT = true;
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(Number.MAX_SAFE_INTEGER)
  LOG_MAX_BYTES = 10 * 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(0) @Max(100) LOG_BACKUP_COUNT = 5;

  /** Which model API the AI steps speak: Anthropic's Messages API, or OpenAI Chat Completions. */
  @Transform(lower) @IsIn(LLM_PROVIDERS) LLM_PROVIDER: LlmProvider = 'anthropic';
  @IsString() ANTHROPIC_API_KEY = '';
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  ANTHROPIC_BASE_URL?: string;
  @IsString() @MinLength(1) ANTHROPIC_MODEL = 'claude-sonnet-4-6';
  /** LLM_PROVIDER=openai: the key (any non-empty value for a local server that checks none). */
  @IsString() OPENAI_API_KEY = '';
  /** Any Chat Completions server, e.g. http://localhost:11434/v1 (Ollama); empty: api.openai.com. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  OPENAI_BASE_URL?: string;
  @IsString() @MinLength(1) OPENAI_MODEL = 'gpt-4.1';
  @Transform(toInt) @IsInt() @Min(1) @Max(128_000) REFINE_MAX_TOKENS = 2048;
  @Transform(toInt) @IsInt() @Min(1) @Max(128_000) CODEGEN_MAX_TOKENS = 8192;
  /** Accepted for the seed's .env files, never sent: API version 2026-10-21 refuses it. */
  @IsOptional() @Transform(toNumber) @IsNumber() @Min(0) @Max(1) AI_TEMPERATURE?: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(600) AI_REQUEST_TIMEOUT_SECONDS = 120;
  @Transform(toInt) @IsInt() @Min(0) @Max(10) AI_MAX_RETRIES = 2;
  /** Auto mode (POST codegen/auto): attempts per request when the body names none. */
  @Transform(toInt) @IsInt() @Min(1) @Max(5) AUTO_MAX_ATTEMPTS = 3;
  /** Auto mode: input plus output tokens one request may spend over all its model calls. */
  @Transform(toInt) @IsInt() @Min(1000) @Max(10_000_000) AUTO_MAX_TOKENS = 60_000;

  /** Bearer token(s) every route but /health needs; a JSON list gives each client its own. */
  @Transform(toTokenList)
  @IsArray()
  @Matches(AUTH_TOKEN_PATTERN, { each: true, message: 'each must be 16..512 printable characters' })
  API_AUTH_TOKEN: string[] = [];
  @Transform(toBool) @IsBoolean() METRICS_AUTH = true;
  @Transform(toTrustProxy) @IsTrustProxy() TRUST_PROXY: TrustProxy = false;
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400) RATE_LIMIT_WINDOW_SECONDS = 60;
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_AI_MAX = 30;
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_EXECUTE_MAX = 60;
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_UPLOAD_MAX = 20;
  /** Live sessions one client may hold (uploads beyond answer 429 until one ends). */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) MAX_SESSIONS_PER_CLIENT = 200;
  /** Model streams (refine, generate, fix) one client may have open at once. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000) MAX_STREAMS_PER_CLIENT = 10;
  /** How long a stop waits for in-flight requests and streams before closing them. */
  @Transform(toInt) @IsInt() @Min(0) @Max(3600) SHUTDOWN_TIMEOUT_SECONDS = 25;
  /** A response the client stops reading (or a request body that stops coming) is closed after this. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) HTTP_IDLE_TIMEOUT_SECONDS = 60;
  /** The whole request (headers and body, e.g. an upload) must arrive within this. */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400) HTTP_REQUEST_TIMEOUT_SECONDS = 300;
  /** An idle keep-alive connection is closed after this. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) HTTP_KEEP_ALIVE_TIMEOUT_SECONDS = 5;
  /**
   * Set: the distributed shape (scale-out.md): jobs on BullMQ, sessions and jobs in this Redis;
   * API nodes only accept and answer, `npm run start:worker` runs the jobs.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['redis', 'rediss'], require_protocol: true })
  REDIS_URL?: string;
  /** Prefix of every Redis key and BullMQ queue of this deployment. */
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/) REDIS_KEY_PREFIX = 'acb';
  /** A worker that stops answering loses its job after this; it then ends `error` (BullMQ stall check). */
  @Transform(toInt) @IsInt() @Min(2) @Max(600) WORKER_STALL_SECONDS = 10;
}

export class InvalidConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigurationError';
  }
}

const SECRET_VARIABLES = new Set(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'API_AUTH_TOKEN']);

function describe(error: ValidationError): string {
  const shown = SECRET_VARIABLES.has(error.property) ? '<hidden>' : JSON.stringify(error.value);
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  return `${error.property}=${shown}: ${reasons}`;
}

/** Validates the merged variables and reports every bad one at once. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const input: Record<string, string> = {};
  for (const key of new Set([...known, ...OPTIONAL_VARIABLES])) {
    const value = raw[key];
    if (value !== undefined && !(OPTIONAL_VARIABLES.includes(key) && value.trim() === '')) {
      input[key] = value;
    }
  }
  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) throw new InvalidConfigurationError(errors.map(describe));
  return env;
}
