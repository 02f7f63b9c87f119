import { parse } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentVariables, validateEnvironment } from './environment';

function readEnvFile(path: string): Record<string, string> {
  return existsSync(path) ? parse(readFileSync(path)) : {};
}

/**
 * Merges configuration layers, later wins: built-in defaults, `.env` (which selects
 * APP_ENV), `.env.<APP_ENV>`, `.env.<APP_ENV>.local`, then the process environment.
 * `ENV_FILE_DIR` (tests) points at another folder than the working directory.
 */
export function loadEnvironment(
  processEnv: NodeJS.ProcessEnv = process.env,
  dir: string = processEnv.ENV_FILE_DIR ?? process.cwd(),
): EnvironmentVariables {
  const base = readEnvFile(join(dir, '.env'));
  const appEnv = (processEnv.APP_ENV ?? base.APP_ENV ?? 'development').trim().toLowerCase();
  const safeAppEnv = /^[a-z]+$/.test(appEnv) ? appEnv : 'invalid';
  const merged: Record<string, string | undefined> = {
    ...base,
    ...readEnvFile(join(dir, `.env.${safeAppEnv}`)),
    ...readEnvFile(join(dir, `.env.${safeAppEnv}.local`)),
    ...processEnv,
  };
  return validateEnvironment(merged);
}
