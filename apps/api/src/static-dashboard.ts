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
 * Serves the built dashboard at `/` (index.html) and its assets; mounted under a prefix
 * (`host.use('/glassbox', server.app)`), `/glassbox` redirects to `/glassbox/`. Mount it after the API routes:
 * it only answers GET/HEAD for files that exist, so it never shadows them. While `dir` holds no
 * index.html, `/` answers 503 DASHBOARD_NOT_BUILT (checked per request, so a later build shows up).
 */
export function createStaticDashboard(dir: string = DEFAULT_DASHBOARD_DIR): Router {
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.get(['/', '/index.html'], (req, res, next) => {
    // Mounted under a prefix, /prefix must become /prefix/: the dashboard's asset and API URLs are
    // relative to its folder, so from /prefix they would resolve against the host's root.
    const [path, query] = splitUrl(req.originalUrl);
    if (req.baseUrl !== '' && req.path === '/' && !path.endsWith('/')) return res.redirect(308, `${path}/${query}`);
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

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}
