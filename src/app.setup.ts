import { INestApplication } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { UnusableRequest } from './common/errors/domain-errors';
import { guardRequests } from './common/http/body-guard';
import { securityHeaders } from './common/http/security-headers.middleware';
import { accessLog } from './common/logging/access-log.middleware';
import { AppLogger } from './common/logging/app-logger.service';
import { appConfig, httpConfig } from './config/configuration';
import { Metrics } from './metrics/metrics.service';

const BEARER_SCHEME = 'bearer';

/** HTTP setup shared by main.ts and the integration tests, so both run the same pipeline. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const cfg = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const http = app.get<ConfigType<typeof httpConfig>>(httpConfig.KEY);
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  app.set('trust proxy', http.trustProxy);
  // First, so that even a request refused by the body parser gets its id, headers and log line.
  app.use(accessLog(logger, app.get(Metrics)), securityHeaders());
  app.useBodyParser('json', { limit: '1mb' });
  app.use(explainBodyParserErrors);
  guardRequests(app);
  app.setGlobalPrefix(cfg.apiPrefix, { exclude: ['health', 'metrics', 'docs', 'docs-json'] });
  app.enableCors({
    origin: cfg.allowedOrigins.includes('*') ? true : cfg.allowedOrigins,
    exposedHeaders: ['X-Request-ID', 'Content-Disposition', 'Retry-After'],
  });
  app.disable('x-powered-by');
  if (!cfg.isProduction) {
    const builder = new DocumentBuilder()
      .setTitle('AI Code Builder')
      .setDescription('Upload a table, refine instructions, generate and run a pandas transform.')
      .setVersion(cfg.version)
      .addBearerAuth({ type: 'http', scheme: 'bearer' }, BEARER_SCHEME);
    if (http.authTokens.length > 0) builder.addSecurityRequirements(BEARER_SCHEME);
    const document = SwaggerModule.createDocument(app, builder.build());
    openProbe(document, '/health');
    if (!http.metricsAuth) openProbe(document, '/metrics');
    SwaggerModule.setup('docs', app, document, {
      jsonDocumentUrl: 'docs-json',
      swaggerOptions: { persistAuthorization: true },
    });
  }
  return app;
}

/** Marks a route that needs no token in the OpenAPI document. */
function openProbe(document: OpenAPIObject, path: string): void {
  const operation = document.paths[path]?.get;
  if (operation) operation.security = [];
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
    next(new UnusableRequest(`Request body is not valid JSON: ${(error as Error).message}`));
    return;
  }
  next(error);
}
