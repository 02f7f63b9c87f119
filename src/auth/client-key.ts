import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { API_CLIENT, AuthenticatedRequest } from './api-token.guard';

/**
 * Who is calling, as rate limits and per-client caps count them: `token:<digest prefix>`
 * once a bearer token matched (auth on), else `ip:<address>`, the forwarded one when
 * TRUST_PROXY says so (Express's `req.ip`). Never the token itself.
 */
export function clientKeyOf(req: AuthenticatedRequest): string {
  const client = req[API_CLIENT];
  return client ? `token:${client}` : `ip:${req.ip ?? 'unknown'}`;
}

/** Handler parameter decorator: the calling client's key (see `clientKeyOf`). */
export const ClientKey = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  clientKeyOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
