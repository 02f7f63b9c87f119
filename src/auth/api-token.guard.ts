import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { httpConfig } from '../config/configuration';
import { METRICS_ROUTE, OPEN_ROUTES, routeKey } from './route-key';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Set on the request once its token matched: a digest, so the token itself is not kept. */
export const API_CLIENT = Symbol('apiClient');
export type AuthenticatedRequest = Request & { [API_CLIENT]?: string };

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * With API_AUTH_TOKEN set, every route but GET /health (and GET /metrics when
 * METRICS_AUTH=false) needs `Authorization: Bearer <token>`. Tokens are compared as
 * SHA-256 digests with timingSafeEqual: equal lengths, and no early exit on the first
 * differing byte.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(@Inject(httpConfig.KEY) private readonly cfg: ConfigType<typeof httpConfig>) {
    this.digests = cfg.authTokens.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0 || context.getType() !== 'http') return true;
    const route = routeKey(context);
    if (OPEN_ROUTES.has(route) || (route === METRICS_ROUTE && !this.cfg.metricsAuth)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (presented !== undefined) {
      const given = digest(presented);
      // Every configured token is compared, so the time does not tell which one came close.
      let matched: Buffer | undefined;
      for (const known of this.digests) if (timingSafeEqual(given, known)) matched = known;
      if (matched) {
        req[API_CLIENT] = matched.toString('hex').slice(0, 16);
        return true;
      }
    }
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer');
    throw new UnauthorizedException(
      presented === undefined
        ? 'Authentication required: send Authorization: Bearer <token>'
        : 'The bearer token is not valid',
    );
  }
}
