import { INestApplication } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppLogger } from './common/logging/app-logger.service';
import { appConfig } from './config/configuration';

/** HTTP setup shared by main.ts and the integration tests, so both run the same pipeline. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const cfg = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.useLogger(app.get(AppLogger));
  app.useBodyParser('json', { limit: '1mb' });
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
