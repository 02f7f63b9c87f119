import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { AuthenticatedRequest } from './api-token.guard';
import { clientKeyOf } from './client-key';
import { StreamSlots } from './stream-slots.service';

/**
 * Put on a streaming route (`@UseInterceptors(StreamSlotInterceptor)`): takes the
 * client's stream slot before the handler runs, so a refusal is a JSON 429 and not an
 * event, and frees it when the response closes (ended, failed or the client left).
 */
@Injectable()
export class StreamSlotInterceptor implements NestInterceptor {
  constructor(private readonly slots: StreamSlots) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const release = this.slots.acquire(clientKeyOf(http.getRequest<AuthenticatedRequest>()));
    const res = http.getResponse<Response>();
    if (res.closed) release();
    else res.once('close', release);
    return next.handle();
  }
}
