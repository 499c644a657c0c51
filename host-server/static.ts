/**
 * Serving the Vite build (dist/): hashed assets cached immutably, index.html never cached,
 * the join link /r/:code answered with index.html, security headers on everything.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type NextFunction, type Router } from 'express';
import type { Logger } from 'pino';

/** Strict host syntax (name or IPv4 or [IPv6], optional port) before it goes into a header. */
const HOST_RE = /^(?:[a-zA-Z0-9.-]{1,253}|\[[0-9a-fA-F:.]{2,45}\])(?::\d{1,5})?$/;

export function contentSecurityPolicy(hostHeader: string | undefined): string {
  // 'self' covers same-origin ws:/wss: in CSP3 browsers; the explicit origins cover older ones.
  const sameOriginWs = hostHeader && HOST_RE.test(hostHeader) ? ` ws://${hostHeader} wss://${hostHeader}` : '';
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src 'self'${sameOriginWs}`,
    "worker-src 'self' blob:",
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  next();
}

const NO_CACHE = 'no-cache, no-store, must-revalidate';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function staticRouter(distDir: string, log: Logger): Router {
  const router = express.Router();
  const indexPath = path.join(distDir, 'index.html');
  let warned = false;
  const hasBuild = (): boolean => {
    const ok = fs.existsSync(indexPath);
    if (!ok && !warned) {
      warned = true;
      log.warn({ distDir }, 'client build missing: run `npx vite build` (or npm start) to create dist/');
    }
    return ok;
  };
  hasBuild();

  const sendIndex = (_req: Request, res: Response): void => {
    if (!hasBuild()) {
      res
        .status(503)
        .type('text/plain')
        .setHeader('Cache-Control', NO_CACHE)
        .send(
          `The client is not built: ${indexPath} is missing.\n` +
            'Run `npx vite build` (or `npm start`, which builds what is missing) and reload.\n',
        );
      return;
    }
    res.setHeader('Cache-Control', NO_CACHE);
    res.sendFile(indexPath);
  };

  router.get(['/', '/index.html'], sendIndex);
  // Join link: the app reads the code from location.pathname.
  router.get('/r/:code', sendIndex);

  router.use(
    '/assets',
    express.static(path.join(distDir, 'assets'), {
      index: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE),
    }),
  );
  router.use('/assets', (_req, res) => {
    res.status(404).setHeader('Cache-Control', NO_CACHE).type('text/plain').send('asset not found\n');
  });
  // Anything else in dist/ (favicon, un-hashed files): revalidate every time.
  router.use(
    express.static(distDir, {
      index: false,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}
