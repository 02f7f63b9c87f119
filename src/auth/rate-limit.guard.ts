import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { Response } from 'express';
import { AuthenticatedRequest } from './api-token.guard';
import { clientKeyOf } from './client-key';
import { RATE_LIMITED_ROUTES, routeKey } from './route-key';

const WHAT: Record<string, string> = {
  ai: 'AI requests (refine, generate, fix)',
  execute: 'job submissions',
  upload: 'uploads',
};

/**
 * @nestjs/throttler with one named throttler per group of routes (ai, execute, upload):
 * a group's routes share one count per client, other routes are not counted. The client
 * is the bearer token when auth is on, else the address (forwarded, with TRUST_PROXY).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    if (RATE_LIMITED_ROUTES[routeKey(props.context)] !== props.throttler.name) return true;
    return super.handleRequest({
      ...props,
      generateKey: (_context, tracker, name) => `${name}:${tracker}`,
    });
  }

  protected override getTracker(req: AuthenticatedRequest): Promise<string> {
    return Promise.resolve(clientKeyOf(req));
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const res = context.switchToHttp().getResponse<Response>();
    res.setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    const group = RATE_LIMITED_ROUTES[routeKey(context)] ?? '';
    const window = Math.round(detail.ttl / 1000);
    throw new HttpException(
      `Too many ${WHAT[group] ?? 'requests'}: at most ${detail.limit} per ${window} s per client. ` +
        `Try again in ${Math.max(1, detail.timeToBlockExpire)} s.`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
