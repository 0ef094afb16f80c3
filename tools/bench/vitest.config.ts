import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

// The bench's pure helpers (statistics, ratios), the bench model's tokenizer builder and the Grafana
// dashboard generator of tools/prometheus; no benchmark runs here (speed is `npm run bench`'s business, never a test's).
export default mergeConfig(sharedTestConfig, defineConfig({ test: { include: ['**/*.test.ts', '../make-bench-model/**/*.test.mjs', '../prometheus/*.test.mjs'] } }));
