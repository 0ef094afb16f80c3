#!/usr/bin/env node
// The `glassbox` command. Runs the compiled CLI (npm ci builds it; `npm run build` rebuilds).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('glassbox: the CLI is not built; run `npm run build` in the repository root\n');
  process.exit(1);
}
const { runCli } = await import(entry.href);
const code = await runCli(process.argv.slice(2));
// A failed command exits at once: a half-started server (a taken port, say) may hold handles.
if (code !== 0) process.exit(code);
process.exitCode = code;
