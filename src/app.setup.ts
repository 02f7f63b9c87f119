import { INestApplication } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { BadRequest } from './common/errors/domain-errors';
import { RequestIdMiddleware } from './common/http/request-id.middleware';
import { SecurityHeadersMiddleware } from './common/http/security-headers.middleware';
import { AppLogger } from './common/logging/app-logger.service';
import { appConfig } from './config/configuration';

/** HTTP setup shared by main.ts and the integration tests, so both run the same pipeline. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const cfg = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.useLogger(app.get(AppLogger));
  // First, so that even a request refused by the body parser gets its id and headers.
  const requestId = new RequestIdMiddleware();
  const securityHeaders = new SecurityHeadersMiddleware();
  app.use(requestId.use.bind(requestId), securityHeaders.use.bind(securityHeaders));
  app.useBodyParser('json', { limit: '1mb' });
  app.use(explainBodyParserErrors);
  app.setGlobalPrefix(cfg.apiPrefix, { exclude: ['health', 'docs', 'docs-json'] });
  app.enableCors({
    origin: cfg.allowedOrigins.includes('*') ? true : cfg.allowedOrigins,
    exposedHeaders: ['X-Request-ID', 'Content-Disposition'],
  });
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  if (!cfg.isProduction) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('AI Code Builder')
        .setDescription('Upload a table, refine instructions, generate and run a pandas transform.')
        .setVersion(cfg.version)
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}

/** Nest would pass on body-parser's raw message; say what is wrong in the contract's words. */
function explainBodyParserErrors(
  error: unknown,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') {
    next(new BadRequest(`Request body is not valid JSON: ${(error as Error).message}`));
    return;
  }
  next(error);
}
