import { ExecutionContext, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';

/**
 * The route a handler serves, as `METHOD controller/path` without the global prefix
 * (`POST codegen/generate`, `GET health`): what the access rules below are keyed on.
 */
export function routeKey(context: ExecutionContext): string {
  const handler = context.getHandler();
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  const parts = [
    Reflect.getMetadata(PATH_METADATA, context.getClass()) as string | undefined,
    Reflect.getMetadata(PATH_METADATA, handler) as string | undefined,
  ];
  const path = parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter((segment) => segment !== '')
    .join('/');
  return `${RequestMethod[method ?? RequestMethod.GET]} ${path}`;
}

/** Routes anyone may call when API_AUTH_TOKEN is set (the load balancer's probe). */
export const OPEN_ROUTES = new Set(['GET health']);
export const METRICS_ROUTE = 'GET metrics';

export type RateLimitGroup = 'ai' | 'execute' | 'upload';

/** The limited routes; polling a job, downloads and everything else are not counted. */
export const RATE_LIMITED_ROUTES: Readonly<Record<string, RateLimitGroup>> = {
  'POST instructions/refine': 'ai',
  'POST codegen/generate': 'ai',
  'POST codegen/fix': 'ai',
  'POST codegen/auto': 'ai',
  'POST execute': 'execute',
  'POST recipes/:recipe_id/apply': 'execute',
  'POST upload': 'upload',
};
