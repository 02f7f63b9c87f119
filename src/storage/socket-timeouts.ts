import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { httpConfig } from '../config/configuration';

/** An SSE comment line: clients ignore it; it shows the stream is alive. */
const HEARTBEAT = ': keep-alive\n\n';

/**
 * Bounds how long a connection may hold the server's resources without moving:
 * - the whole request must arrive within HTTP_REQUEST_TIMEOUT_SECONDS (headers within
 *   60 s at most), an idle keep-alive connection closes after HTTP_KEEP_ALIVE_TIMEOUT_SECONDS;
 * - a socket with no traffic either way for HTTP_IDLE_TIMEOUT_SECONDS is closed when its
 *   request body stopped coming or its response is under way (a download the client no
 *   longer reads; closing it ends the download, which removes its export file). A request
 *   the server is still working on (an upload being parsed) is not cut;
 * - event streams get a comment line every half idle period, so a stream waiting on the
 *   model stays alive while its client reads.
 */
@Injectable()
export class SocketTimeouts implements OnApplicationBootstrap {
  constructor(
    @Inject(httpConfig.KEY) private readonly cfg: ConfigType<typeof httpConfig>,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    server.requestTimeout = this.cfg.requestTimeoutMs;
    server.headersTimeout = Math.min(60_000, this.cfg.requestTimeoutMs);
    server.keepAliveTimeout = this.cfg.keepAliveTimeoutMs;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.watch(req, res));
  }

  private watch(req: IncomingMessage, res: ServerResponse): void {
    const idleMs = this.cfg.idleTimeoutMs;
    res.setTimeout(idleMs, () => {
      if (!req.complete || (res.headersSent && !res.writableEnded)) res.destroy();
    });
    const heartbeat = setInterval(() => {
      if (!res.headersSent || res.writableEnded || res.writableNeedDrain) return;
      const type = res.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/event-stream')) res.write(HEARTBEAT);
    }, idleMs / 2);
    heartbeat.unref();
    res.once('close', () => clearInterval(heartbeat));
  }
}
