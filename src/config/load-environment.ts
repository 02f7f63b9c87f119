import { parse } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentVariables, validateEnvironment } from './environment';

/** Text of a .env file as Windows editors write it too: UTF-8 with or without BOM, UTF-16. */
export function decodeEnvFile(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return bytes.subarray(3).toString('utf8');
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return swapBytes(bytes.subarray(2)).toString('utf16le');
  // UTF-16 without a BOM: a name's first ASCII letter beside a NUL byte.
  if (bytes.length >= 2 && bytes[0] !== 0 && bytes[1] === 0) return bytes.toString('utf16le');
  if (bytes.length >= 2 && bytes[0] === 0 && bytes[1] !== 0) {
    return swapBytes(bytes).toString('utf16le');
  }
  return bytes.toString('utf8');
}

function swapBytes(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return copy.swap16();
}

function readEnvFile(path: string): Record<string, string> {
  return existsSync(path) ? parse(decodeEnvFile(readFileSync(path))) : {};
}

/**
 * Merges configuration layers, later wins: built-in defaults, `.env` (which selects
 * APP_ENV), `.env.<APP_ENV>`, `.env.<APP_ENV>.local`, then the process environment.
 * `ENV_FILE_DIR` points at another folder than the working directory.
 */
export function loadEnvironment(
  processEnv: NodeJS.ProcessEnv = process.env,
  dir: string = processEnv.ENV_FILE_DIR || process.cwd(),
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

let processEnvironment: EnvironmentVariables | undefined;

/** The process's configuration: read and validated once, on first use. */
export function environment(): EnvironmentVariables {
  processEnvironment ??= loadEnvironment();
  return processEnvironment;
}
