import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard: a static build in apps/dashboard/dist that the API serves at `/`. Relative base,
 * so it works under any mount path; everything is bundled (no CDN, no web fonts).
 */
export default defineConfig({
  root,
  base: './',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npx vite --config apps/dashboard/vite.config.ts` against a local `glassbox serve` on :8080.
    proxy: Object.fromEntries(['/v1', '/metrics', '/health'].map((p) => [p, 'http://127.0.0.1:8080'])),
  },
});
