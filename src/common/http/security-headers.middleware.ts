import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** What the pages of Swagger UI load: their own scripts, an inline <style>, data: images. */
const DOCS_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** The API only answers JSON, files and event streams: nothing to load, nothing to frame. */
const API_DIRECTIVES = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

const isDocs = (path: string): boolean => path === '/docs-json' || /^\/docs(\/|$)/.test(path);

/**
 * helmet's headers (nosniff, frame DENY, strict-origin-when-cross-origin referrer, HSTS, ...),
 * with a CSP that lets Swagger UI run under /docs (served outside production only).
 */
export function securityHeaders(): RequestHandler {
  const common = {
    frameguard: { action: 'deny' as const },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' as const },
  };
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: API_DIRECTIVES },
  });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: DOCS_DIRECTIVES },
  });
  return (req: Request, res: Response, next: NextFunction) =>
    (isDocs(req.path) ? docs : api)(req, res, next);
}
