import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/**
 * The built dashboard: `dist/` of the @glassbox/dashboard package as Node resolves it from this
 * file (apps/dashboard/dist in this repository, node_modules/@glassbox/dashboard/dist when
 * installed); apps/dashboard/dist beside this package when that package cannot be resolved.
 */
export const DEFAULT_DASHBOARD_DIR = defaultDashboardDir();

function defaultDashboardDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@glassbox/dashboard/package.json')), 'dist');
  } catch {
    return fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));
  }
}

/**
 * Serves the built dashboard at `/` (index.html) and its assets. Mount it after the API routes:
 * it only answers GET/HEAD for files that exist, so it never shadows them. While `dir` holds no
 * index.html, `/` answers 503 DASHBOARD_NOT_BUILT (checked per request, so a later build shows up).
 */
export function createStaticDashboard(dir: string = DEFAULT_DASHBOARD_DIR): Router {
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.get(['/', '/index.html'], (_req, res, next) => {
    if (existsSync(index)) return next();
    res.status(503).json({ error: 'dashboard not built: run npm run build', error_type: 'DASHBOARD_NOT_BUILT' });
  });
  router.use(
    express.static(dir, {
      index: 'index.html',
      fallthrough: true,
      redirect: false,
      dotfiles: 'ignore',
      // Its files hold no stored data: they take the static server's caching, not the API's no-store.
      setHeaders: (res) => res.removeHeader('Cache-Control'),
    }),
  );
  return router;
}
