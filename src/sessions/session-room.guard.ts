import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AuthenticatedRequest } from '../auth/api-token.guard';
import { clientKeyOf } from '../auth/client-key';
import { SessionsService } from './sessions.service';

/**
 * On a route that creates a session (POST /upload): refuses with 429 before the body is
 * read when the client already holds MAX_SESSIONS_PER_CLIENT sessions and uploads under
 * way, else holds a place until the response is over.
 */
@Injectable()
export class SessionRoomGuard implements CanActivate {
  constructor(private readonly sessions: SessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const response = http.getResponse<Response>();
    const release = await this.sessions.reserve(
      clientKeyOf(http.getRequest<AuthenticatedRequest>()),
    );
    if (response.writableFinished || response.destroyed) release();
    else response.once('close', release);
    return true;
  }
}
