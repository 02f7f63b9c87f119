import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { allConfigs } from '../../src/config/configuration';
import { EnvironmentVariables } from '../../src/config/environment';
import { loadEnvironment } from '../../src/config/load-environment';

/** Copies of the shared corpus and fidelity cases, kept in step by scripts/sync-fixtures.sh. */
export const FIXTURES_DIR = resolve(__dirname, '../fixtures');
export const CORPUS_DIR = join(FIXTURES_DIR, 'corpus');
export const CASES_DIR = join(FIXTURES_DIR, 'cases');

export interface TestApp {
  app: INestApplication;
  /** Supertest target. */
  http: ReturnType<INestApplication['getHttpServer']>;
  root: string;
  prefix: string;
  /** Closes the app and removes its folders. */
  close(): Promise<void>;
  /** Closes the app and keeps its folders, for another app on the same root (`options.root`). */
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** A root left by an earlier app's `stop()`: the new app uses its folders (a restart). */
  root?: string;
}

/**
 * Boots the real AppModule with its own temp directories and the given variables,
 * through the same HTTP setup as main.ts.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (b) => b,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'acb-test-'));
  const vars: Record<string, string> = {
    APP_ENV: 'test',
    INBOUND_DIR: join(root, 'inbound'),
    TEMP_DIR: join(root, 'tmp'),
    LOG_DIR: join(root, 'logs'),
    LOG_STDOUT: 'false',
    LOG_LEVEL: 'debug',
    // Suites upload and run far more than a client may per minute; access.e2e sets its own limits.
    RATE_LIMIT_AI_MAX: '1000000',
    RATE_LIMIT_EXECUTE_MAX: '1000000',
    RATE_LIMIT_UPLOAD_MAX: '1000000',
    // Every suite is one client (127.0.0.1); fairness.e2e sets its own caps.
    MAX_QUEUED_JOBS_PER_SESSION: '100000',
    MAX_QUEUED_JOBS_PER_CLIENT: '100000',
    MAX_SESSIONS_PER_CLIENT: '1000000',
    MAX_STREAMS_PER_CLIENT: '10000',
    ...env,
  };
  let app: INestApplication | undefined;
  let config: EnvironmentVariables;
  try {
    // Each app gets its configuration from these variables; process.env stays untouched.
    config = loadEnvironment({ ...process.env, ...vars }, root);
    let builder = Test.createTestingModule({ imports: [AppModule] });
    for (const area of allConfigs) {
      builder = builder.overrideProvider(area.KEY).useValue(area.fromEnvironment(config));
    }
    const moduleRef = await override(builder).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false });
    configureApp(app as NestExpressApplication);
    await app.init();
  } catch (error) {
    // A start that fails half way may have spawned sandboxes or opened DuckDB: close them.
    await app?.close().catch(() => undefined);
    if (!options.root) rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const started = app;
  const prefix = config.API_PREFIX;
  return {
    app: started,
    http: started.getHttpServer(),
    root,
    prefix,
    async close() {
      await started.close();
      rmSync(root, { recursive: true, force: true });
    },
    async stop() {
      await started.close();
    },
  };
}

/** Uploads CSV text through the real endpoint; returns the session id. */
export async function uploadCsv(t: TestApp, csv: string, filename = 'data.csv'): Promise<string> {
  const res = await request(t.http)
    .post(`${t.prefix}/upload`)
    .attach('file', Buffer.from(csv), filename)
    .expect(200);
  return (res.body as { session_id: string }).session_id;
}
