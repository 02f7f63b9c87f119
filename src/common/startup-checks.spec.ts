import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aiConfig, appConfig, storageConfig } from '../config/configuration';
import { loadEnvironment } from '../config/load-environment';
import { AppLogger } from './logging/app-logger.service';
import { StartupCheckFailed, StartupChecks } from './startup-checks';

function checks(vars: Record<string, string>): { run: () => void; warnings: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'acb-startup-'));
  const env = loadEnvironment(
    {
      INBOUND_DIR: join(root, 'inbound'),
      TEMP_DIR: join(root, 'tmp'),
      LOG_DIR: join(root, 'logs'),
      ...vars,
    },
    root,
  );
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m) } as unknown as AppLogger;
  const startup = new StartupChecks(
    appConfig.fromEnvironment(env),
    storageConfig.fromEnvironment(env),
    aiConfig.fromEnvironment(env),
    logger,
  );
  return { run: () => startup.onModuleInit(), warnings };
}

describe('StartupChecks: the selected provider needs its key', () => {
  it('production with LLM_PROVIDER=openai refuses to start without OPENAI_API_KEY', () => {
    const { run } = checks({
      APP_ENV: 'production',
      LLM_PROVIDER: 'openai',
      ANTHROPIC_API_KEY: 'sk-ant-present-but-unused-0000',
    });
    expect(run).toThrow(StartupCheckFailed);
    expect(run).toThrow(/OPENAI_API_KEY is not set \(LLM_PROVIDER=openai\)/);
  });

  it('production with LLM_PROVIDER=openai starts with only OPENAI_API_KEY', () => {
    const { run } = checks({
      APP_ENV: 'production',
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'ollama',
      ANTHROPIC_API_KEY: '',
    });
    expect(run).not.toThrow();
  });

  it('production with the default provider still names ANTHROPIC_API_KEY', () => {
    const { run } = checks({ APP_ENV: 'production', ANTHROPIC_API_KEY: '' });
    expect(run).toThrow(/ANTHROPIC_API_KEY is not set/);
  });

  it('development only warns, naming the selected variable', () => {
    const { run, warnings } = checks({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: '' });
    run();
    expect(warnings).toEqual([expect.stringMatching(/^OPENAI_API_KEY is not set.*503/)]);
  });
});
