import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironment } from './env-files.config';
import { InvalidConfigurationError } from './environment';

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
          APP_ENV: 'staging',
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
});
