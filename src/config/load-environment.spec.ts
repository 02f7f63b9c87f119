import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aiConfig, loggingConfig } from './configuration';
import { decodeEnvFile, loadEnvironment } from './load-environment';
import { InvalidConfigurationError } from './environment';

const WINDOWS_ENV = 'APP_ENV=staging\r\nANTHROPIC_MODEL=claude-café\r\nPORT=8123\r\n';

describe('loadEnvironment', () => {
  const dirWith = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'acb-env-'));
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    return dir;
  };

  it('uses the built-in defaults, with directories under the OS temp dir', () => {
    const env = loadEnvironment({}, dirWith({}));
    expect(env).toMatchObject({
      APP_ENV: 'development',
      API_PREFIX: '/api/v1',
      HOST: '0.0.0.0',
      PORT: 8000,
      ANTHROPIC_MODEL: 'claude-sonnet-4-6',
      ALLOWED_EXTENSIONS: ['.csv', '.xlsx'],
    });
    expect(env.INBOUND_DIR.startsWith(tmpdir())).toBe(true);
    expect(env.TEMP_DIR.startsWith(tmpdir())).toBe(true);
    expect(env.LOG_DIR.startsWith(tmpdir())).toBe(true);
  });

  it('layers .env, .env.<APP_ENV>, .env.<APP_ENV>.local, then the process, later wins', () => {
    const dir = dirWith({
      '.env':
        'APP_ENV=production\nPORT=1000\nPREVIEW_ROW_COUNT=10\nLOG_LEVEL=debug\nANTHROPIC_MODEL=a',
      '.env.production': 'PORT=2000\nPREVIEW_ROW_COUNT=20\nANTHROPIC_MODEL=b',
      '.env.production.local': 'PORT=3000\nANTHROPIC_MODEL=c',
      '.env.development': 'PORT=9999',
    });
    const env = loadEnvironment({ ANTHROPIC_MODEL: 'd' }, dir);
    expect(env).toMatchObject({
      APP_ENV: 'production',
      LOG_LEVEL: 'debug',
      PREVIEW_ROW_COUNT: 20,
      PORT: 3000,
      ANTHROPIC_MODEL: 'd',
    });
  });

  it('parses JSON lists', () => {
    const env = loadEnvironment({ ALLOWED_ORIGINS: '["https://app.example"]' }, dirWith({}));
    expect(env.ALLOWED_ORIGINS).toEqual(['https://app.example']);
  });

  it('lists every bad variable in one error, and never shows the API key', () => {
    let error: unknown;
    try {
      loadEnvironment(
        {
          PORT: 'eighty',
          MAX_UPLOAD_SIZE_MB: '0',
          ALLOWED_ORIGINS: 'http://x',
          AI_TEMPERATURE: '3',
          APP_ENV: 'qa',
          ANTHROPIC_API_KEY: '',
        },
        dirWith({}),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    const problems = (error as InvalidConfigurationError).problems.map((p) => p.split('=')[0]);
    expect(problems.sort()).toEqual([
      'AI_TEMPERATURE',
      'ALLOWED_ORIGINS',
      'APP_ENV',
      'MAX_UPLOAD_SIZE_MB',
      'PORT',
    ]);
  });

  it("has the seed's defaults", () => {
    expect(loadEnvironment({}, dirWith({}))).toMatchObject({
      MAX_UPLOAD_SIZE_MB: 50,
      CODEGEN_MAX_TOKENS: 8192,
      REFINE_MAX_TOKENS: 2048,
      PREVIEW_ROW_COUNT: 50,
      SANDBOX_TIMEOUT_SECONDS: 30,
      SANDBOX_MAX_MEMORY_MB: 512,
      LOG_STDOUT: true,
    });
  });

  it("accepts the seed's .env.example as its users wrote it: staging, upper-case levels, inline comments", () => {
    const seed = [
      'APP_ENV=staging                  # development | staging | production',
      'MAX_UPLOAD_SIZE_MB=500',
      'SESSION_TTL_SECONDS=2592000',
      'SANDBOX_TIMEOUT_SECONDS=5',
      'SANDBOX_MAX_MEMORY_MB=64',
      'SANDBOX_MAX_OUTPUT_ROWS=100000000',
      'PREVIEW_ROW_COUNT=500',
      'LOG_LEVEL=WARNING                # DEBUG | INFO | WARNING | ERROR | CRITICAL',
      'LOG_MAX_BYTES=4294967296',
      'REFINE_MAX_TOKENS=256',
      'CODEGEN_MAX_TOKENS=32768',
      'AI_TEMPERATURE=0.2',
      'AI_REQUEST_TIMEOUT_SECONDS=10',
    ].join('\r\n');
    const env = loadEnvironment({}, dirWith({ '.env': seed }));
    expect(env).toMatchObject({
      APP_ENV: 'staging',
      MAX_UPLOAD_SIZE_MB: 500,
      SANDBOX_MAX_MEMORY_MB: 64,
      SANDBOX_MAX_OUTPUT_ROWS: 100_000_000,
      LOG_MAX_BYTES: 4294967296,
      CODEGEN_MAX_TOKENS: 32768,
      AI_TEMPERATURE: 0.2,
    });
    const levels = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'].map(
      (LOG_LEVEL) =>
        loggingConfig.fromEnvironment(loadEnvironment({ LOG_LEVEL }, dirWith({}))).level,
    );
    expect(levels).toEqual(['debug', 'info', 'warn', 'error', 'fatal']);
  });

  it('leaves AI_TEMPERATURE unset unless given (it is never sent)', () => {
    expect(loadEnvironment({}, dirWith({})).AI_TEMPERATURE).toBeUndefined();
    expect(loadEnvironment({ AI_TEMPERATURE: '' }, dirWith({})).AI_TEMPERATURE).toBeUndefined();
  });

  describe('LLM_PROVIDER', () => {
    const keys = {
      ANTHROPIC_API_KEY: 'sk-ant-anthropic-key-000000',
      OPENAI_API_KEY: 'sk-openai-key-0000000000000',
    };

    it('defaults to anthropic, whose key, URL and model the AI config carries', () => {
      const ai = aiConfig.fromEnvironment(loadEnvironment(keys, dirWith({})));
      expect(ai).toMatchObject({
        provider: 'anthropic',
        apiKey: keys.ANTHROPIC_API_KEY,
        apiKeyVariable: 'ANTHROPIC_API_KEY',
        baseUrl: undefined,
        model: 'claude-sonnet-4-6',
      });
    });

    it('openai carries the OPENAI_ values; both keys are logging secrets', () => {
      const env = loadEnvironment(
        { ...keys, LLM_PROVIDER: 'OpenAI', OPENAI_BASE_URL: 'http://localhost:11434/v1' },
        dirWith({}),
      );
      expect(aiConfig.fromEnvironment(env)).toMatchObject({
        provider: 'openai',
        apiKey: keys.OPENAI_API_KEY,
        apiKeyVariable: 'OPENAI_API_KEY',
        baseUrl: 'http://localhost:11434/v1',
        model: 'gpt-4.1',
      });
      expect(loggingConfig.fromEnvironment(env).secrets).toEqual(
        expect.arrayContaining([keys.ANTHROPIC_API_KEY, keys.OPENAI_API_KEY]),
      );
    });

    it('refuses an unknown provider, a base URL without its scheme, an empty model', () => {
      let error: unknown;
      try {
        loadEnvironment(
          { LLM_PROVIDER: 'gemini', OPENAI_BASE_URL: 'localhost', OPENAI_MODEL: '' },
          dirWith({}),
        );
      } catch (e) {
        error = e;
      }
      const problems = (error as InvalidConfigurationError).problems;
      expect(problems.map((p) => p.split('=')[0]).sort()).toEqual([
        'LLM_PROVIDER',
        'OPENAI_BASE_URL',
        'OPENAI_MODEL',
      ]);
    });
  });

  it.each([
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(WINDOWS_ENV)])],
    [
      'UTF-16 LE with BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(WINDOWS_ENV, 'utf16le')]),
    ],
    [
      'UTF-16 BE with BOM',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(WINDOWS_ENV, 'utf16le').swap16()]),
    ],
    ['UTF-16 LE without BOM', Buffer.from(WINDOWS_ENV, 'utf16le')],
  ])('reads a .env file written as %s', (_name, bytes) => {
    const dir = dirWith({});
    writeFileSync(join(dir, '.env'), bytes);
    writeFileSync(join(dir, '.env.staging'), bytes.subarray(0, 0));
    expect(loadEnvironment({}, dir)).toMatchObject({
      APP_ENV: 'staging',
      ANTHROPIC_MODEL: 'claude-café',
      PORT: 8123,
    });
  });

  it('decodes plain UTF-8 unchanged', () => {
    expect(decodeEnvFile(Buffer.from('A=é\n'))).toBe('A=é\n');
  });
});
